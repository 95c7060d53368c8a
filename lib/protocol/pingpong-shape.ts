import { u16 } from './big-endian.js';
import { TTHEADER_FLAGS_STREAMING, TTHEADER_MAGIC } from './ttheader-constants.js';

/**
 * How one ping-pong (unary or oneway) Thrift message is framed on the wire. A Kitex server
 * tells them apart per message and answers in the shape it was asked in.
 * - `ttheader`: TTHeader (streaming flag clear, protocol id 0), then the message.
 * - `ttheader-framed`: TTHeader, then a u32 length and the message (Kitex `TTHeaderFramed`).
 * - `framed`: a u32 length, then the message (Kitex's default for unary calls since v0.13).
 * - `buffered`: the bare message, its end found by reading it (Kitex `PurePayload`).
 */
export type PingPongShape = 'ttheader' | 'ttheader-framed' | 'framed' | 'buffered';

/** True for the TTHeader shapes, the only ones with header keys (metainfo, biz-*, crrst). */
export function carriesHeaders(shape: PingPongShape): boolean {
  return shape === 'ttheader' || shape === 'ttheader-framed';
}

/** The first half of a strict Thrift Binary version word (`0x8001`). */
export const THRIFT_BINARY_VERSION_1 = 0x8001;

/**
 * What a connection speaks, from its first bytes (Kitex `default_codec.go` `checkPayload`):
 * - `ttstream`: bytes 4-5 are the TTHeader magic `0x1000` and FLAGS (bytes 6-7) has the streaming
 *   bit `0x0002`;
 * - `pingpong`: a TTHeader without the streaming bit, Framed (`0x8001` at bytes 4-5) or Buffered
 *   (`0x8001` at bytes 0-1);
 * - `unknown`: anything else (HTTP, TLS, non-strict Thrift...);
 * - `undefined`: too few bytes to tell yet (never more than 8 are needed).
 */
export function detectConnectionKind(
  bytes: Uint8Array,
): 'ttstream' | 'pingpong' | 'unknown' | undefined {
  const n = bytes.length;
  if (n === 0) return undefined;
  const b0 = bytes[0] as number;
  // A TTHeader or Framed length never has its top bit set: a first byte >= 0x80 must be 0x80 01.
  if (b0 >= 0x80) {
    if (b0 !== 0x80) return 'unknown';
    if (n < 2) return undefined;
    return bytes[1] === 0x01 ? 'pingpong' : 'unknown';
  }
  if (n < 6) return undefined;
  const magic = u16(bytes, 4);
  if (magic === THRIFT_BINARY_VERSION_1) return 'pingpong';
  if (magic !== TTHEADER_MAGIC) return 'unknown';
  if (n < 8) return undefined;
  return (u16(bytes, 6) & TTHEADER_FLAGS_STREAMING) !== 0 ? 'ttstream' : 'pingpong';
}
