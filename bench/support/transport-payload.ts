// The one message both transports carry in `bench:transport`: the Thrift binary bytes of
// `struct Response { 1: string message, 2: i32 index }`, 1024 bytes in all. Both transports use
// this same hand-written codec, so they move and parse exactly the same bytes per message.
import type { MessageCodec } from '../../lib/thrift/message-codec.js';

/** A decoded `Response`. */
export interface BenchMessage {
  readonly message: string;
  readonly index: number;
}

/** Bytes of one encoded message. */
export const MESSAGE_BYTES = 1024;

// Field 1 header (3) + string length (4) + text + field 2 header (3) + i32 (4) + STOP (1).
const OVERHEAD = 3 + 4 + 3 + 4 + 1;
const T_STRING = 11;
const T_I32 = 8;

/** The 1009-character ASCII text that makes an encoded message exactly 1 KB. */
export const TEXT = 'x'.repeat(MESSAGE_BYTES - OVERHEAD);

/** Encodes `Response` in Thrift binary (strict field order, as Kitex/Apache Thrift write it). */
export function encodeMessage(value: BenchMessage): Buffer {
  const textBytes = Buffer.byteLength(value.message);
  const out = Buffer.allocUnsafe(textBytes + OVERHEAD);
  out[0] = T_STRING;
  out.writeInt16BE(1, 1);
  out.writeInt32BE(textBytes, 3);
  out.write(value.message, 7, 'utf8');
  let at = 7 + textBytes;
  out[at] = T_I32;
  out.writeInt16BE(2, at + 1);
  out.writeInt32BE(value.index | 0, at + 3);
  at += 7;
  out[at] = 0;
  return out;
}

/** Decodes the bytes of {@link encodeMessage} (fields in order; throws on anything else). */
export function decodeMessage(bytes: Uint8Array): BenchMessage {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < OVERHEAD || buf[0] !== T_STRING || buf.readInt16BE(1) !== 1) {
    throw new Error('bad Response: field 1 missing');
  }
  const length = buf.readInt32BE(3);
  const at = 7 + length;
  if (length < 0 || at + 8 > buf.length || buf[at] !== T_I32 || buf.readInt16BE(at + 1) !== 2) {
    throw new Error('bad Response: field 2 missing');
  }
  return { message: buf.toString('utf8', 7, at), index: buf.readInt32BE(at + 3) };
}

/** The codec as the ttstream transport takes it. */
export const messageCodec: MessageCodec<BenchMessage> = {
  encode: encodeMessage,
  decode: decodeMessage,
};
