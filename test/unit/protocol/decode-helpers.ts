// Decoder test helpers shared by the decoder specs.
import { expect } from '@jest/globals';
import { FrameDecodeError } from '../../../lib/protocol/frame-decode-error.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import type { Frame } from '../../../lib/protocol/frame.js';
import { concat, loadFixture, u16, u32 } from './helpers.js';

/** Spec vector V2: a DATA frame with a 10-byte payload. */
export const V2 = loadFixture('v2-data.hex');

/**
 * The catalogue describes what the wire allows, so its decoders take the header caps up to the
 * wire's own bounds (header-limits.spec.ts tests the default caps).
 */
const WIRE_BOUNDS = { maxHeaderKeys: Infinity, maxHeaderBytes: Infinity };

/** Decodes `bytes` in one push and expects the decoder to be drained. */
export function decode(bytes: Uint8Array, decoder = new FrameDecoder(WIRE_BOUNDS)): Frame[] {
  const frames = decoder.push(bytes);
  expect(decoder.bufferedBytes).toBe(0);
  return frames;
}

/** The single frame in `bytes`. */
export function decodeOne(bytes: Uint8Array): Frame {
  const frames = decode(bytes);
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

/** The FrameDecodeError raised by pushing `bytes` (fails the test if none). */
export function decodeError(
  bytes: Uint8Array,
  decoder = new FrameDecoder(WIRE_BOUNDS),
): FrameDecodeError {
  try {
    decoder.push(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(FrameDecodeError);
    return error as FrameDecodeError;
  }
  throw new Error('expected a FrameDecodeError');
}

/** `bytes` followed by zeros up to a multiple of 4. */
export function pad4(bytes: Uint8Array): Uint8Array {
  return concat(bytes, new Uint8Array((4 - (bytes.length % 4)) % 4));
}

/** A frame whose header info is exactly `info` (a whole number of words), no payload. */
export function exactFrame(info: Uint8Array): Uint8Array {
  if (info.length % 4 !== 0) throw new Error(`header info of ${info.length} bytes`);
  return concat(u32(10 + info.length), u16(0x1000), u16(2), u32(1), u16(info.length / 4), info);
}

/** ArrayBuffer memory of the process, to show that nothing big was allocated. */
export function arrayBufferBytes(): number {
  return process.memoryUsage().arrayBuffers;
}
