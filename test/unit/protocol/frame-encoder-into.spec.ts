// encodeFrameHeadInto writes exactly encodeFrameHead's bytes into a caller's buffer.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FrameEncodeError } from '../../../lib/protocol/frame-encode-error.js';
import { encodeFrameHead, encodeFrameHeadInto } from '../../../lib/protocol/frame-encoder.js';
import type { FrameInit } from '../../../lib/protocol/frame.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { toHex } from './helpers.js';

const RUNS = { seed: 42, numRuns: 300 } as const;

const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });

const anyFrame: fc.Arbitrary<FrameInit> = fc.record({
  type: fc.integer({ min: 1, max: 9 }),
  streamId: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  method: text(30),
  strHeaders: fc
    .uniqueArray(fc.tuple(text(20), text(40)), { selector: ([key]) => key, maxLength: 6 })
    .map((pairs) => (pairs.length === 0 ? undefined : new Map(pairs))),
  intHeaders: fc
    .uniqueArray(
      fc.tuple(
        fc.integer({ min: 0, max: 0xffff }).filter((key) => key !== 9 && key !== 27),
        text(40),
      ),
      { selector: ([key]) => key, maxLength: 4 },
    )
    .map((pairs) => (pairs.length === 0 ? undefined : new Map(pairs))),
  payload: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
});

const data = (init: Partial<FrameInit> = {}): FrameInit => ({
  type: FrameType.Data,
  streamId: 7,
  method: 'ServerStream',
  ...init,
});

describe('encodeFrameHeadInto', () => {
  it('writes the bytes of encodeFrameHead at the offset and returns their length', () => {
    fc.assert(
      fc.property(anyFrame, fc.integer({ min: 0, max: 64 }), (init, offset) => {
        const head = encodeFrameHead(init);
        const target = new Uint8Array(offset + head.length + 8).fill(0xee);
        expect(encodeFrameHeadInto(init, target, offset)).toBe(head.length);
        expect(toHex(target.subarray(offset, offset + head.length))).toBe(toHex(head));
        // Bytes around the head are untouched.
        expect(target.subarray(0, offset).every((b) => b === 0xee)).toBe(true);
        expect(target.subarray(offset + head.length).every((b) => b === 0xee)).toBe(true);
      }),
      RUNS,
    );
  });

  it('writes nothing but still returns the length when the head does not fit', () => {
    const init = data({ payload: new Uint8Array(100) });
    const length = encodeFrameHead(init).length;
    const target = new Uint8Array(length + 3).fill(0xee);
    expect(encodeFrameHeadInto(init, target, 4)).toBe(length);
    expect(target.every((b) => b === 0xee)).toBe(true);
    // Exactly fitting at the end is written.
    expect(encodeFrameHeadInto(init, target, 3)).toBe(length);
    expect(toHex(target.subarray(3))).toBe(toHex(encodeFrameHead(init)));
  });

  it('applies maxFrameBytes like encodeFrameHead and writes nothing on refusal', () => {
    const payload = new Uint8Array(1000 - 10 - 28);
    const target = new Uint8Array(64).fill(0xee);
    expect(encodeFrameHeadInto(data({ payload }), target, 0, { maxFrameBytes: 1000 })).toBe(42);
    target.fill(0xee);
    const bigger = data({ payload: new Uint8Array(payload.length + 1) });
    expect(() => encodeFrameHeadInto(bigger, target, 0, { maxFrameBytes: 1000 })).toThrow(
      FrameEncodeError,
    );
    expect(() => encodeFrameHeadInto(data({ streamId: 2 ** 31 }), target, 0)).toThrow(
      FrameEncodeError,
    );
    expect(target.every((b) => b === 0xee)).toBe(true);
  });

  it.each([-1, 1.5, Number.NaN])('rejects offset %p with a RangeError', (offset) => {
    expect(() => encodeFrameHeadInto(data(), new Uint8Array(64), offset)).toThrow(RangeError);
  });
});
