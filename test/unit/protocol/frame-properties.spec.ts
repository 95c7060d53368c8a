// fast-check properties of the frame codec (test-matrix.md section 5.2), fixed seed.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FrameDecodeError } from '../../../lib/protocol/frame-decode-error.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { encodeFrame, encodeFrameHead } from '../../../lib/protocol/frame-encoder.js';
import type { Frame, FrameInit } from '../../../lib/protocol/frame.js';
import { HEADER_GDPR_TOKEN } from '../../../lib/protocol/header-keys.js';
import { concat, plain, type PlainFrame, toHex } from './helpers.js';

const RUNS = { seed: 42, numRuns: 200 } as const;

const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
const streamId = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000),
);
const strKey = fc.oneof(
  text(20),
  fc.constantFrom('isn', '__proto__', 'constructor', 'biz-status', 'ttscp', HEADER_GDPR_TOKEN),
);
const intKey = fc.integer({ min: 0, max: 0xffff }).filter((key) => key !== 9 && key !== 27);

/** Small random frames: all five types plus unknown 6-9, any pairs, binary payloads. */
const smallFrame: fc.Arbitrary<FrameInit> = fc.record({
  type: fc.integer({ min: 1, max: 9 }),
  streamId,
  method: text(30),
  strHeaders: fc
    .uniqueArray(fc.tuple(strKey, text(40)), { selector: ([key]) => key, maxLength: 6 })
    .map((pairs) => new Map(pairs)),
  intHeaders: fc
    .uniqueArray(fc.tuple(intKey, text(20)), { selector: ([key]) => key, maxLength: 4 })
    .map((pairs) => new Map(pairs)),
  payload: fc.uint8Array({ maxLength: 300 }),
});

/** Frames with one big value or method, up to the 65,532-byte header budget exactly. */
const bigFrame: fc.Arbitrary<FrameInit> = fc
  .record({
    type: fc.integer({ min: 1, max: 9 }),
    streamId,
    size: fc.oneof(fc.integer({ min: 0, max: 65509 }), fc.constantFrom(0, 65508, 65509)),
    inMethod: fc.boolean(),
  })
  .map(({ type, streamId: id, size, inMethod }) =>
    inMethod
      ? { type, streamId: id, method: 'x'.repeat(size + 8) }
      : { type, streamId: id, method: 'M', strHeaders: new Map([['k', 'x'.repeat(size)]]) },
  );

const anyFrame = fc.oneof({ arbitrary: smallFrame, weight: 9 }, { arbitrary: bigFrame, weight: 1 });

function expected(init: FrameInit): PlainFrame {
  return plain({
    intHeaders: new Map(),
    strHeaders: new Map(),
    payload: new Uint8Array(0),
    ...init,
  });
}

/** Splits `bytes` at the given offsets (any values; they are reduced into range). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of [...offsets, bytes.length]) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks;
}

type Outcome = { frames: PlainFrame[]; error?: string; buffered: number };

/** Feeds chunks; the only error allowed is FrameDecodeError. */
function feed(chunks: readonly Uint8Array[]): Outcome {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    try {
      frames.push(...decoder.push(chunk));
    } catch (error) {
      if (!(error instanceof FrameDecodeError)) throw error;
      frames.push(...error.framesBefore);
      return { frames: frames.map(plain), error: error.detail, buffered: decoder.bufferedBytes };
    }
  }
  return { frames: frames.map(plain), buffered: decoder.bufferedBytes };
}

describe('frame codec properties', () => {
  it('round trip: decode(encode(f)) equals f, and encodeFrame = head + payload', () => {
    fc.assert(
      fc.property(anyFrame, (init) => {
        const bytes = encodeFrame(init);
        const head = encodeFrameHead(init);
        expect(toHex(concat(head, init.payload ?? new Uint8Array(0)))).toBe(toHex(bytes));
        const outcome = feed([bytes]);
        expect(outcome).toEqual({ frames: [expected(init)], buffered: 0 });
      }),
      RUNS,
    );
  });

  it('any chunking of a sequence of valid frames decodes to the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(smallFrame, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (inits, cuts) => {
          const bytes = concat(...inits.map((init) => encodeFrame(init)));
          const outcome = feed(split(bytes, cuts));
          expect(outcome).toEqual({ frames: inits.map(expected), buffered: 0 });
        },
      ),
      RUNS,
    );
  });

  it('random bytes give frames or a FrameDecodeError, the same for any chunking', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, cuts) => {
          const whole = feed([bytes]);
          expect(feed(split(bytes, cuts))).toEqual(whole);
        },
      ),
      RUNS,
    );
  });

  it('random header info behind a valid fixed header gives frames or a FrameDecodeError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 400 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (info, payloadLength, cuts) => {
          const words = info.length >>> 2;
          const body = concat(
            Uint8Array.of(0x10, 0x00, 0x00, 0x02, 0, 0, 0, 1, words >>> 8, words & 0xff),
            info.subarray(0, words * 4),
            new Uint8Array(payloadLength),
          );
          const bytes = concat(Uint8Array.of(0, 0, body.length >>> 8, body.length & 0xff), body);
          const whole = feed([bytes]);
          expect(whole.buffered).toBe(0);
          expect(feed(split(bytes, cuts))).toEqual(whole);
        },
      ),
      RUNS,
    );
  });

  it('single-byte mutations of valid frames give frames or a FrameDecodeError', () => {
    fc.assert(
      fc.property(
        fc.array(smallFrame, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (inits, at, value, cuts) => {
          const bytes = concat(...inits.map((init) => encodeFrame(init)));
          bytes[at % bytes.length] = value;
          const whole = feed([bytes]);
          expect(feed(split(bytes, cuts))).toEqual(whole);
        },
      ),
      RUNS,
    );
  });
});
