import { describe, expect, it } from '@jest/globals';
import { TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import type { Frame } from '../../../lib/protocol/frame.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../../lib/protocol/ttheader-constants.js';
import { decode, decodeError, decodeOne, V2 } from './decode-helpers.js';
import { concat, plain, rawFrame } from './helpers.js';

describe('FrameDecoder errors', () => {
  it('raises a TTStreamError of kind IllegalFrame (12004) with the detail in the message', () => {
    const error = decodeError(rawFrame({ magic: 0x0fff }));
    expect(error).toBeInstanceOf(TTStreamError);
    expect(error.kind).toBe(TTStreamErrorCode.IllegalFrame);
    expect(error.code).toBe(12004);
    expect(error.detail).toBe('bad magic 0x0fff');
    expect(error.message).toBe('[ttstream error, code=12004] bad magic 0x0fff');
    expect(error.name).toBe('FrameDecodeError');
  });

  it('is dead after an error: every later push or end rethrows the same error', () => {
    const decoder = new FrameDecoder();
    const error = decodeError(rawFrame({ flags: 0 }), decoder);
    expect(() => decoder.push(V2)).toThrow(error);
    expect(() => decoder.push(new Uint8Array(0))).toThrow(error);
    expect(() => {
      decoder.end();
    }).toThrow(error);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reports the frames completed before the bad bytes in framesBefore', () => {
    const error = decodeError(concat(V2, V2, rawFrame({ magic: 0x8001 })));
    expect(error.detail).toBe('bad magic 0x8001');
    expect(error.framesBefore.map(plain)).toEqual([plain(decodeOne(V2)), plain(decodeOne(V2))]);
  });

  it('rejects an invalid maxFrameBytes option with a RangeError', () => {
    for (const maxFrameBytes of [13, 0x80000000, 1.5, Number.NaN]) {
      expect(() => new FrameDecoder({ maxFrameBytes })).toThrow(RangeError);
    }
    expect(new FrameDecoder().maxFrameBytes).toBe(DEFAULT_MAX_FRAME_BYTES);
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(64 * 1024 * 1024);
  });
});

describe('FrameDecoder buffering', () => {
  it('returns payloads as views, not copies, when a frame is inside one chunk', () => {
    const chunk = concat(V2, V2);
    const frames = decode(chunk);
    expect(frames[1]!.payload.buffer).toBe(chunk.buffer);
    expect(frames[1]!.payload.byteOffset).toBe(V2.length + 42);
  });

  it('shares one empty map between frames without pairs', () => {
    const [a, b] = decode(concat(V2, V2));
    expect(a!.strHeaders).toBe(b!.strHeaders);
    expect(a!.intHeaders).toBe(b!.intHeaders);
    expect(() => (a!.strHeaders as Map<string, string>).set('x', 'y')).toThrow(TypeError);
    expect(b!.strHeaders.size).toBe(0);
  });

  it('decodes a 1 MiB frame fed one byte at a time in linear time', () => {
    const payload = Uint8Array.from({ length: 1 << 20 }, (_, i) => i & 0xff);
    const bytes = rawFrame({ payload });
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    // Linear buffering takes well under a second; quadratic copying would take minutes, so a
    // generous budget, checked as we go, fails fast without being timing-sensitive.
    const budget = performance.now() + 10_000;
    for (let i = 0; i < bytes.length; i++) {
      frames.push(...decoder.push(bytes.subarray(i, i + 1)));
      if ((i & 0xfff) === 0 && performance.now() > budget) {
        throw new Error(`byte-at-a-time decoding too slow: ${i} bytes after 10 s`);
      }
    }
    expect(frames).toHaveLength(1);
    expect(Buffer.from(frames[0]!.payload).equals(Buffer.from(payload))).toBe(true);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('counts buffered bytes of a partial frame, then drops them once it completes', () => {
    const decoder = new FrameDecoder();
    const bytes = concat(V2, V2.subarray(0, 20));
    expect(decoder.push(bytes)).toHaveLength(1);
    expect(decoder.bufferedBytes).toBe(20);
    expect(decoder.push(V2.subarray(20))).toHaveLength(1);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('end() after complete frames is fine', () => {
    const decoder = new FrameDecoder();
    decoder.push(V2);
    expect(() => {
      decoder.end();
    }).not.toThrow();
  });
});

describe("FrameDecoder with oversize: 'skip'", () => {
  const big = encodeFrame({
    type: 3,
    streamId: 7,
    method: 'Echo',
    payload: new Uint8Array(5000).fill(0xab),
  });
  const small = encodeFrame({ type: 3, streamId: 9, method: 'Echo', payload: Uint8Array.of(1) });

  it.each([
    ['in one chunk', 0],
    ['a byte at a time', 1],
    ['in 777-byte chunks', 777],
  ])('returns the oversize frame without its payload, then the next frame (%s)', (_n, step) => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024, oversize: 'skip' });
    const input = Uint8Array.from([...big, ...small]);
    const frames = [];
    const size = step === 0 ? input.length : step;
    for (let at = 0; at < input.length; at += size) {
      frames.push(...decoder.push(input.subarray(at, at + size)));
      // Never more than the head of the oversize frame is held.
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(big.length - 5000 + 4);
    }
    expect(frames.map((f) => [f.streamId, f.oversize, f.payload.length])).toEqual([
      [7, big.length - 4, 0],
      [9, undefined, 1],
    ]);
    expect(frames[0]?.method).toBe('Echo');
  });

  it("'fail' (the default) still rejects it", () => {
    expect(() => new FrameDecoder({ maxFrameBytes: 1024 }).push(big)).toThrow(
      /exceeds maxFrameBytes 1024/,
    );
  });
});
