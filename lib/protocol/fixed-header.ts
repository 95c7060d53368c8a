import { u16, u32 } from './big-endian.js';
import { FrameDecodeError } from './frame-decode-error.js';
import {
  FIXED_HEADER_BYTES,
  LENGTH_FIXED_BYTES,
  MIN_FRAME_LENGTH,
  TTHEADER_FLAGS_STREAMING,
  TTHEADER_MAGIC,
} from './ttheader-constants.js';

/**
 * Validates the fields of the 14-byte fixed header that are present in
 * `bytes[offset, offset + available)`, so that bad input is rejected as soon as the bytes that
 * prove it arrive, and before any buffer is sized from LENGTH.
 * @returns LENGTH, or -1 when fewer than 4 bytes are available.
 * @throws FrameDecodeError on a bad LENGTH, magic, flags or header size.
 * @internal not covered by semver
 */
export function checkFixedHeader(
  bytes: Uint8Array,
  offset: number,
  available: number,
  maxFrameBytes: number,
): number {
  if (available < 4) return -1;
  const length = u32(bytes, offset);
  if (length > maxFrameBytes) {
    const why = length > 0x7fffffff ? ' (reserved top bit set)' : '';
    throw new FrameDecodeError(
      `frame length ${length}${why} exceeds maxFrameBytes ${maxFrameBytes}`,
    );
  }
  if (length < MIN_FRAME_LENGTH) {
    throw new FrameDecodeError(`frame length ${length} is below the minimum ${MIN_FRAME_LENGTH}`);
  }
  if (available < 6) return length;
  const magic = u16(bytes, offset + 4);
  if (magic !== TTHEADER_MAGIC) throw new FrameDecodeError(`bad magic 0x${hex16(magic)}`);
  if (available < 8) return length;
  const flags = u16(bytes, offset + 6);
  if ((flags & TTHEADER_FLAGS_STREAMING) === 0) {
    throw new FrameDecodeError(`streaming flag 0x0002 not set in flags 0x${hex16(flags)}`);
  }
  if (available < FIXED_HEADER_BYTES) return length;
  const words = u16(bytes, offset + 12);
  if (words === 0) {
    throw new FrameDecodeError('header size 0: the header info needs at least one 4-byte word');
  }
  if (LENGTH_FIXED_BYTES + words * 4 > length) {
    throw new FrameDecodeError(
      `header size ${words} words (${words * 4} bytes) exceeds frame length ${length}`,
    );
  }
  return length;
}

function hex16(value: number): string {
  return value.toString(16).padStart(4, '0');
}
