import { encodeUtf8 } from '../protocol/utf8.js';
import { BinaryReader } from './binary-reader.js';
import { DecodeProblem } from './decode-problem.js';
import { ThriftDecodeError, ThriftEncodeError } from './thrift-errors.js';

/** The Thrift message types a strict Binary envelope carries (low byte of its first word). */
export const ThriftMessageType = { Call: 1, Reply: 2, Exception: 3, Oneway: 4 } as const;

/** One of the {@link ThriftMessageType} values. */
export type ThriftMessageType = (typeof ThriftMessageType)[keyof typeof ThriftMessageType];

/** The envelope of a Thrift message: what precedes its struct (`<Method>_args`, `_result`...). */
export interface ThriftMessageHeader {
  /** The method name. */
  readonly name: string;
  /** CALL, REPLY, EXCEPTION or ONEWAY. */
  readonly type: ThriftMessageType;
  /** The sequence id, a signed int32; a reply repeats its call's. */
  readonly seqId: number;
}

/**
 * Longest method name, in UTF-8 bytes, written or accepted: real names are a few dozen bytes,
 * and a peer must not make us decode megabytes of text before the method lookup fails.
 */
export const MAX_MESSAGE_NAME_BYTES = 64 * 1024;

/** Strict Binary version 1 in the top 16 bits of the first word. */
const VERSION_1 = 0x80010000;
const VERSION_MASK = 0xffff0000;

/**
 * Encodes a strict Binary message: i32 `0x80010000 | type`, the name as a Binary string, the
 * i32 seq id, then `body` (an already encoded struct) as it is.
 * @throws ThriftEncodeError on an unknown type, a seq id that is not an int32 or a name over
 * {@link MAX_MESSAGE_NAME_BYTES}.
 */
export function encodeThriftMessage(header: ThriftMessageHeader, body: Uint8Array): Uint8Array {
  const { name, type, seqId } = header;
  if (!isMessageType(type)) {
    throw new ThriftEncodeError('message', 'type', `${String(type)} is not 1 to 4`);
  }
  if (!Number.isInteger(seqId) || seqId < -0x80000000 || seqId > 0x7fffffff) {
    throw new ThriftEncodeError('message', 'seqId', `${String(seqId)} is not an int32`);
  }
  // Each UTF-16 unit takes at least one UTF-8 byte: reject a huge name before encoding it.
  const nameBytes = name.length > MAX_MESSAGE_NAME_BYTES ? undefined : encodeUtf8(name);
  if (nameBytes === undefined || nameBytes.length > MAX_MESSAGE_NAME_BYTES) {
    throw new ThriftEncodeError(
      'message',
      'name',
      `is over the ${MAX_MESSAGE_NAME_BYTES}-byte limit (${nameBytes?.length ?? name.length})`,
    );
  }
  const out = new Uint8Array(12 + nameBytes.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (VERSION_1 | type) >>> 0);
  view.setUint32(4, nameBytes.length);
  out.set(nameBytes, 8);
  view.setInt32(8 + nameBytes.length, seqId);
  out.set(body, 12 + nameBytes.length);
  return out;
}

/**
 * Reads the envelope at the start of `bytes`; the struct starts at `bodyOffset`. The version
 * must be strict (`0x8001`): the old non-strict form, which starts with the name's length, is
 * refused, as Kitex refuses it. Bits 8-15 of the first word are ignored, as Kitex and Apache
 * Thrift ignore them. The name decodes like any Thrift string (bytes that are not UTF-8 are kept
 * as U+DC80-U+DCFF).
 * @throws ThriftDecodeError on a non-strict message, another version, an unknown message type,
 * a negative or over-long name length ({@link MAX_MESSAGE_NAME_BYTES}), or truncated input.
 */
export function decodeThriftMessageHeader(
  bytes: Uint8Array,
): ThriftMessageHeader & { readonly bodyOffset: number } {
  const reader = new BinaryReader(bytes);
  try {
    const word = reader.readI32();
    if (word >= 0) {
      throw new DecodeProblem(
        `not a strict Binary message (first word 0x${hex32(word)}): the old non-strict ` +
          'form is not supported',
      );
    }
    if ((word & VERSION_MASK) >>> 0 !== VERSION_1) {
      throw new DecodeProblem(`bad version 0x${hex32(word).slice(0, 4)} (expected 0x8001)`);
    }
    const type = word & 0xff;
    if (!isMessageType(type)) throw new DecodeProblem(`unknown message type ${type}`);
    const nameAt = reader.pos;
    const nameLength = reader.readI32();
    if (nameLength > MAX_MESSAGE_NAME_BYTES) {
      throw new DecodeProblem(
        `name length ${nameLength} exceeds the ${MAX_MESSAGE_NAME_BYTES}-byte limit`,
      );
    }
    reader.pos = nameAt; // readString checks the sign and the bytes left
    const name = reader.readString();
    const seqId = reader.readI32();
    return { name, type, seqId, bodyOffset: reader.pos };
  } catch (error) {
    if (error instanceof DecodeProblem) {
      throw new ThriftDecodeError(`message header: ${error.problem}`);
    }
    throw error;
  }
}

function isMessageType(type: number): type is ThriftMessageType {
  return type === 1 || type === 2 || type === 3 || type === 4;
}

function hex32(word: number): string {
  return (word >>> 0).toString(16).padStart(8, '0');
}
