import { BinaryReader } from './binary-reader.js';
import { BinaryWriter } from './binary-writer.js';
import { DecodeProblem } from './decode-problem.js';
import { skipValue } from './skip.js';
import { ThriftDecodeError } from './thrift-errors.js';
import { TType } from './ttype.js';

/**
 * A TApplicationException wrapped in a strict Binary message, as a TRAILER or RST payload
 * carries it: the message's method name and seq id (= stream id), and the
 * exception's type id and message.
 */
export interface TApplicationExceptionMessage {
  /** The method name in the message header (Kitex writes the stream's method). */
  readonly method: string;
  /** The message seq id; Kitex writes the stream id and ignores it on receipt. */
  readonly seqId: number;
  /** The TApplicationException type id (field 2), for instance 6 (InternalError). */
  readonly typeId: number;
  /** The TApplicationException message (field 1). */
  readonly message: string;
}

/** Strict Binary version 1 in the top 16 bits of the first word. */
const VERSION_1 = 0x80010000;
const VERSION_MASK = 0xffff0000;
/** Thrift message type EXCEPTION. */
const MESSAGE_TYPE_EXCEPTION = 3;

/**
 * Encodes `ex` as `0x80010003`, the method name, the seq id, then the struct
 * `{1: string message, 2: i32 type}` and STOP, the bytes Kitex writes (vector V7).
 */
export function encodeApplicationExceptionMessage(ex: TApplicationExceptionMessage): Uint8Array {
  const writer = new BinaryWriter(64 + ex.method.length * 3 + ex.message.length * 3);
  writer.writeI32(VERSION_1 | MESSAGE_TYPE_EXCEPTION | 0);
  writer.writeString(ex.method);
  writer.writeI32(ex.seqId | 0);
  writer.writeFieldHeader(TType.String, 1);
  writer.writeString(ex.message);
  writer.writeFieldHeader(TType.I32, 2);
  writer.writeI32(ex.typeId | 0);
  writer.writeByte(TType.Stop);
  return writer.finish();
}

/**
 * Decodes a TRAILER or RST exception payload. The version must be strict 0x8001 and the message
 * type EXCEPTION (3), as Kitex requires; unknown struct fields are skipped; a missing message
 * reads as `''` and a missing type as 0 (Unknown).
 *
 * @throws ThriftDecodeError on any other input.
 */
export function decodeApplicationExceptionMessage(bytes: Uint8Array): TApplicationExceptionMessage {
  const reader = new BinaryReader(bytes);
  try {
    const word = reader.readI32();
    if ((word & VERSION_MASK) >>> 0 !== VERSION_1) {
      throw new DecodeProblem(
        `not a strict Binary message (first word 0x${(word >>> 0).toString(16).padStart(8, '0')})`,
      );
    }
    const messageType = word & 0xff;
    if (messageType !== MESSAGE_TYPE_EXCEPTION) {
      throw new DecodeProblem(`message type ${messageType} is not EXCEPTION (3)`);
    }
    const method = reader.readString();
    const seqId = reader.readI32();
    let message = '';
    let typeId = 0;
    reader.enter();
    for (;;) {
      const type = reader.readByte();
      if (type === TType.Stop) break;
      const id = reader.readI16();
      if (id === 1 && type === TType.String) message = reader.readString();
      else if (id === 2 && type === TType.I32) typeId = reader.readI32();
      else skipValue(reader, type);
    }
    reader.leave();
    return { method, seqId, typeId, message };
  } catch (error) {
    if (error instanceof DecodeProblem) {
      throw new ThriftDecodeError(`TApplicationException: ${error.problem}`);
    }
    throw error;
  }
}
