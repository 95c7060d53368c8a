import { allocateBytes } from './byte-pool.js';
import type { FrameInit } from './frame.js';
import { FrameEncodeError } from './frame-encode-error.js';
import { writeInfoBlocks } from './header-info-writer.js';
import {
  LENGTH_FIXED_BYTES,
  MAX_FRAME_LENGTH,
  PROTOCOL_ID_THRIFT_STRUCT,
  TTHEADER_FLAGS_STREAMING,
  TTHEADER_MAGIC,
} from './ttheader-constants.js';

/** Options of {@link encodeFrame}, {@link encodeFrameHead} and {@link encodeFrameHeadInto}. */
export interface FrameEncodeOptions {
  /**
   * Largest LENGTH field (bytes after the 4-byte length prefix) to produce; a bigger frame is
   * refused. Default: 0x7FFFFFFF, the protocol maximum.
   */
  readonly maxFrameBytes?: number;
}

// Fixed header (14) plus protocol id and transform count.
const HEAD_PREFIX_BYTES = 16;
const EMPTY_PAYLOAD = new Uint8Array(0);

/**
 * Encodes one frame: the TTHeader fixed header and header info, followed by the payload.
 * Equal to `concat(encodeFrameHead(frame), frame.payload)`. A result of 65 to 4096 bytes is a
 * view into a shared buffer (`byteOffset` may be non-zero): never use its `.buffer` alone.
 * @throws FrameEncodeError when a limit is exceeded; nothing is produced then.
 */
export function encodeFrame(frame: FrameInit, options?: FrameEncodeOptions): Uint8Array {
  const payload = frame.payload ?? EMPTY_PAYLOAD;
  const blocks = writeInfoBlocks(frame);
  const length = checkedLength(frame, blocks, payload.length, options);
  const out = allocateBytes(HEAD_PREFIX_BYTES + blocks.length + payload.length);
  writeHead(out, 0, frame.streamId, blocks, length);
  out.set(payload, HEAD_PREFIX_BYTES + blocks.length);
  return out;
}

/**
 * Encodes everything before the payload, with LENGTH already counting the payload, so a
 * transport can write `[head, payload]` (writev) without copying a large payload. Like
 * {@link encodeFrame}'s, a result over 64 bytes may be a view into a shared buffer.
 * @throws FrameEncodeError when a limit is exceeded; nothing is produced then.
 */
export function encodeFrameHead(frame: FrameInit, options?: FrameEncodeOptions): Uint8Array {
  const blocks = writeInfoBlocks(frame);
  const length = checkedLength(frame, blocks, frame.payload?.length ?? 0, options);
  const out = allocateBytes(HEAD_PREFIX_BYTES + blocks.length);
  writeHead(out, 0, frame.streamId, blocks, length);
  return out;
}

/**
 * Like {@link encodeFrameHead}, but writes the head into `target` at `offset` (a transport's
 * staging buffer: no head buffer per frame) and returns its length. When the head does not fit
 * (`offset` + length > `target.length`) nothing is written: make room and call again.
 * @throws FrameEncodeError when a limit is exceeded; nothing is written then.
 */
export function encodeFrameHeadInto(
  frame: FrameInit,
  target: Uint8Array,
  offset: number,
  options?: FrameEncodeOptions,
): number {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`offset must be a non-negative integer, got ${String(offset)}`);
  }
  const blocks = writeInfoBlocks(frame);
  const length = checkedLength(frame, blocks, frame.payload?.length ?? 0, options);
  const headBytes = HEAD_PREFIX_BYTES + blocks.length;
  if (offset + headBytes <= target.length) {
    writeHead(target, offset, frame.streamId, blocks, length);
  }
  return headBytes;
}

/** Validates what the info blocks do not cover and returns the LENGTH field. */
function checkedLength(
  frame: FrameInit,
  blocks: Uint8Array,
  payloadLength: number,
  options: FrameEncodeOptions | undefined,
): number {
  const { streamId } = frame;
  if (!Number.isInteger(streamId) || streamId < -0x80000000 || streamId > 0x7fffffff) {
    throw new FrameEncodeError(`stream id ${String(streamId)} is not an int32`);
  }
  const length = LENGTH_FIXED_BYTES + 2 + blocks.length + payloadLength;
  const max = maxFrameBytes(options);
  if (length > max) {
    throw new FrameEncodeError(`frame length ${length} exceeds maxFrameBytes ${max}`);
  }
  return length;
}

function writeHead(
  out: Uint8Array,
  at: number,
  streamId: number,
  blocks: Uint8Array,
  length: number,
): void {
  out[at] = length >>> 24;
  out[at + 1] = (length >>> 16) & 0xff;
  out[at + 2] = (length >>> 8) & 0xff;
  out[at + 3] = length & 0xff;
  out[at + 4] = TTHEADER_MAGIC >>> 8;
  out[at + 5] = TTHEADER_MAGIC & 0xff;
  out[at + 6] = TTHEADER_FLAGS_STREAMING >>> 8;
  out[at + 7] = TTHEADER_FLAGS_STREAMING & 0xff;
  out[at + 8] = (streamId >>> 24) & 0xff;
  out[at + 9] = (streamId >>> 16) & 0xff;
  out[at + 10] = (streamId >>> 8) & 0xff;
  out[at + 11] = streamId & 0xff;
  const words = (2 + blocks.length) >>> 2;
  out[at + 12] = words >>> 8;
  out[at + 13] = words & 0xff;
  out[at + 14] = PROTOCOL_ID_THRIFT_STRUCT;
  out[at + 15] = 0; // no transforms: Kitex supports none
  out.set(blocks, at + HEAD_PREFIX_BYTES);
}

function maxFrameBytes(options: FrameEncodeOptions | undefined): number {
  const max = options?.maxFrameBytes;
  if (max === undefined) return MAX_FRAME_LENGTH;
  if (!Number.isInteger(max) || max < 0 || max > MAX_FRAME_LENGTH) {
    throw new RangeError(`maxFrameBytes must be an integer in [0, ${MAX_FRAME_LENGTH}]`);
  }
  return max;
}
