import { FrameEncodeError } from './frame-encode-error.js';
import { writePlainInfoBlocks } from './header-info-writer.js';
import { THRIFT_BINARY_VERSION_1, type PingPongShape } from './pingpong-shape.js';
import { LENGTH_FIXED_BYTES, MAX_FRAME_LENGTH, TTHEADER_MAGIC } from './ttheader-constants.js';

/** What {@link encodePingPong} takes. */
export interface PingPongInit {
  /** The framing; a reply uses its request's. */
  readonly shape: PingPongShape;
  /** The TTHeader SEQ field (Kitex writes the message's seq id); checked to be an int32. */
  readonly seqId: number;
  /** TTHeader int-key pairs, written as given (keys are u16). Ignored by `framed`/`buffered`. */
  readonly intHeaders?: ReadonlyMap<number, string>;
  /**
   * TTHeader string-key pairs; `RPC_TRANSIT_gdpr-token` goes in its own ACL-token block, as
   * Kitex writes it. Ignored by `framed` and `buffered`, which cannot carry headers.
   */
  readonly strHeaders?: ReadonlyMap<string, string>;
  /** A whole strict Thrift Binary message (envelope and struct). */
  readonly message: Uint8Array;
}

// LENGTH, magic, flags, SEQ, header size, protocol id, transform count.
const TTHEADER_PREFIX_BYTES = 16;

/**
 * Frames one ping-pong message.
 * - `ttheader`: LENGTH, magic `0x1000`, FLAGS `0x0000`, SEQ = `seqId`, header size, PROTOCOL ID
 *   `0x00`, no transforms, the info blocks (ACL token, string keys, int keys: gopkg's order),
 *   zero padding to a 4-byte boundary, then the message;
 * - `ttheader-framed`: the same with a u32 length before the message;
 * - `framed`: a u32 length, then the message;
 * - `buffered`: the message itself (the same object, not a copy).
 * @throws FrameEncodeError when `seqId` is not an int32, the message does not start with the
 * strict Binary version `0x8001`, a header key or value is too big for the TTHeader header, or
 * the result would exceed the protocol's 0x7FFFFFFF-byte length; nothing is produced then.
 */
export function encodePingPong(init: PingPongInit): Uint8Array {
  const { shape, seqId, message } = init;
  if (!Number.isInteger(seqId) || seqId < -0x80000000 || seqId > 0x7fffffff) {
    throw new FrameEncodeError(`seq id ${String(seqId)} is not an int32`);
  }
  if (message.length < 2 || message[0] !== THRIFT_BINARY_VERSION_1 >>> 8 || message[1] !== 1) {
    throw new FrameEncodeError('message is not a strict Thrift Binary message (0x8001...)');
  }
  switch (shape) {
    case 'buffered':
      checkLength(message.length);
      return message;
    case 'framed': {
      checkLength(message.length);
      const out = new Uint8Array(4 + message.length);
      putU32(out, 0, message.length);
      out.set(message, 4);
      return out;
    }
    case 'ttheader':
    case 'ttheader-framed':
      return encodeTTHeader(init, shape === 'ttheader-framed');
    default:
      throw new FrameEncodeError(`unknown ping-pong shape ${JSON.stringify(shape)}`);
  }
}

function encodeTTHeader(init: PingPongInit, framed: boolean): Uint8Array {
  const { message } = init;
  const blocks = writePlainInfoBlocks(init.intHeaders, init.strHeaders);
  const inner = framed ? 4 : 0;
  const length = LENGTH_FIXED_BYTES + 2 + blocks.length + inner + message.length;
  checkLength(length);
  const out = new Uint8Array(4 + length);
  putU32(out, 0, length);
  out[4] = TTHEADER_MAGIC >>> 8;
  out[5] = TTHEADER_MAGIC & 0xff;
  // out[6..7]: FLAGS 0x0000, as Kitex writes ping-pong messages.
  putU32(out, 8, init.seqId >>> 0);
  const words = (2 + blocks.length) >>> 2;
  out[12] = words >>> 8;
  out[13] = words & 0xff;
  // out[14]: PROTOCOL ID 0x00 (Thrift Binary); out[15]: no transforms.
  out.set(blocks, TTHEADER_PREFIX_BYTES);
  let at = TTHEADER_PREFIX_BYTES + blocks.length;
  if (framed) {
    putU32(out, at, message.length);
    at += 4;
  }
  out.set(message, at);
  return out;
}

function checkLength(length: number): void {
  if (length > MAX_FRAME_LENGTH) {
    throw new FrameEncodeError(`length ${length} exceeds the protocol maximum ${MAX_FRAME_LENGTH}`);
  }
}

function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
