import { hexBytes, u16, u32 } from './big-endian.js';
import { FrameDecodeError } from './frame-decode-error.js';
import { THRIFT_BINARY_VERSION_1 } from './pingpong-shape.js';
import {
  FIXED_HEADER_BYTES,
  LENGTH_FIXED_BYTES,
  MIN_FRAME_LENGTH,
  TTHEADER_FLAGS_STREAMING,
  TTHEADER_MAGIC,
} from './ttheader-constants.js';

/** {@link measurePingPong}: more bytes are needed to tell. */
export const PINGPONG_NEED_MORE = -1;
/** {@link measurePingPong}: a Buffered message, whose end only a scan can find. */
export const PINGPONG_BUFFERED = -2;

/** The smallest strict Binary message: version, name length, seq id, STOP. */
export const MIN_THRIFT_MESSAGE_BYTES = 13;

/**
 * Checks the head of a ping-pong message in `bytes[at, at + available)` as far as those bytes
 * go, so that bad input is refused as soon as the bytes that prove it arrive and before any
 * buffer is sized from a length (Kitex `checkPayload` decides on 8 bytes; a TTHeader is checked
 * up to its header size, byte 14).
 * @returns the message's size in bytes, its 4-byte length included (TTHeader, Framed);
 * {@link PINGPONG_BUFFERED}; or {@link PINGPONG_NEED_MORE}.
 * @throws FrameDecodeError on anything else: an unknown start (non-strict Binary included), a
 * ttstream frame, a length over `maxMessageBytes` or too short, a bad TTHeader header size.
 * @internal not covered by semver
 */
export function measurePingPong(
  bytes: Uint8Array,
  at: number,
  available: number,
  maxMessageBytes: number,
  maxHeaderBytes: number,
): number {
  if (available < 1) return PINGPONG_NEED_MORE;
  // A TTHeader or Framed length never has its top bit set: a first byte >= 0x80 must be 0x80 01.
  if ((bytes[at] as number) >= 0x80) {
    if (bytes[at] === 0x80 && available < 2) return PINGPONG_NEED_MORE;
    if (u16(bytes, at) === THRIFT_BINARY_VERSION_1) return PINGPONG_BUFFERED;
    throw unknownStart(bytes, at, available);
  }
  if (available < 6) return PINGPONG_NEED_MORE;
  const length = u32(bytes, at);
  const magic = u16(bytes, at + 4);
  if (magic === THRIFT_BINARY_VERSION_1) {
    if (length > maxMessageBytes) {
      throw new FrameDecodeError(
        `Framed message length ${length} exceeds maxMessageBytes ${maxMessageBytes}`,
      );
    }
    if (length < MIN_THRIFT_MESSAGE_BYTES) {
      throw new FrameDecodeError(
        `Framed message length ${length} is below the smallest Thrift message ` +
          `(${MIN_THRIFT_MESSAGE_BYTES} bytes)`,
      );
    }
    return 4 + length;
  }
  if (magic !== TTHEADER_MAGIC) throw unknownStart(bytes, at, available);
  if (length > maxMessageBytes) {
    throw new FrameDecodeError(
      `TTHeader length ${length} exceeds maxMessageBytes ${maxMessageBytes}`,
    );
  }
  if (length < MIN_FRAME_LENGTH) {
    throw new FrameDecodeError(
      `TTHeader length ${length} is below the minimum ${MIN_FRAME_LENGTH}`,
    );
  }
  if (available < 8) return PINGPONG_NEED_MORE;
  const flags = u16(bytes, at + 6);
  if ((flags & TTHEADER_FLAGS_STREAMING) !== 0) {
    throw new FrameDecodeError(
      `a ttstream frame (TTHeader flags 0x${flags.toString(16).padStart(4, '0')}, streaming ` +
        'bit 0x0002 set) on a ping-pong connection',
    );
  }
  if (available < FIXED_HEADER_BYTES) return PINGPONG_NEED_MORE;
  const words = u16(bytes, at + 12);
  if (words === 0) {
    throw new FrameDecodeError('TTHeader header size 0: the header info needs at least one word');
  }
  if (LENGTH_FIXED_BYTES + words * 4 > length) {
    throw new FrameDecodeError(
      `TTHeader header size ${words} words (${words * 4} bytes) exceeds its length ${length}`,
    );
  }
  if (words * 4 > maxHeaderBytes) {
    throw new FrameDecodeError(
      `header info of ${words * 4} bytes exceeds maxHeaderBytes ${maxHeaderBytes}`,
    );
  }
  return 4 + length;
}

function unknownStart(bytes: Uint8Array, at: number, available: number): FrameDecodeError {
  return new FrameDecodeError(
    `unrecognised message start 0x${hexBytes(bytes, at, Math.min(8, available))}: not ` +
      'TTHeader, Framed or Buffered strict Thrift Binary (non-strict Binary is not supported)',
  );
}
