// fast-check properties of the ping-pong codec, fixed seed: whatever the shapes, headers,
// structs and chunking, decode(encode(x)) gives x back, in order.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { HEADER_GDPR_TOKEN } from '../../../lib/protocol/header-keys.js';
import { PingPongDecoder } from '../../../lib/protocol/pingpong-decoder.js';
import { encodePingPong, type PingPongInit } from '../../../lib/protocol/pingpong-encoder.js';
import type { PingPongShape } from '../../../lib/protocol/pingpong-shape.js';
import { decodeUtf8 } from '../../../lib/protocol/utf8.js';
import { decodeThriftMessageHeader } from '../../../lib/thrift/message-envelope.js';
import { concat } from './helpers.js';
import { messageKey, pushSplit, wireMessage } from './pingpong-helpers.js';

const RUNS = { seed: 42, numRuns: 300 } as const;

// Header strings: any text, or any bytes as the decoder maps them (U+DC80-U+DCFF escapes).
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.uint8Array({ maxLength }).map((bytes) => decodeUtf8(bytes, 0, bytes.length)),
  );
const shape = fc.constantFrom<PingPongShape>('ttheader', 'ttheader-framed', 'framed', 'buffered');
const strKey = fc.oneof(text(16), fc.constantFrom('isn', '__proto__', 'crrst', HEADER_GDPR_TOKEN));

const pingPongInit: fc.Arbitrary<PingPongInit> = fc.record({
  shape,
  seqId: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  intHeaders: fc
    .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 0xffff }), text(16)), {
      selector: ([key]) => key,
      maxLength: 5,
    })
    .map((pairs) => new Map(pairs)),
  strHeaders: fc
    .uniqueArray(fc.tuple(strKey, text(24)), { selector: ([key]) => key, maxLength: 5 })
    .map((pairs) => new Map(pairs)),
  message: wireMessage,
});

/** What decoding `init` should give, in messageKey form. */
function expectedKey(init: PingPongInit): string {
  const tt = init.shape === 'ttheader' || init.shape === 'ttheader-framed';
  return messageKey({
    shape: init.shape,
    headerSeqId: tt ? init.seqId : undefined,
    intHeaders: tt ? (init.intHeaders ?? new Map()) : new Map(),
    strHeaders: tt ? (init.strHeaders ?? new Map()) : new Map(),
    message: init.message,
  });
}

/** Sorted cut points inside `length`. */
const cutsFor = (length: number): fc.Arbitrary<number[]> =>
  fc
    .array(fc.integer({ min: 0, max: length }), { maxLength: 12 })
    .map((cuts) => cuts.sort((a, b) => a - b));

describe('ping-pong codec properties', () => {
  it('round-trips one message of any shape', () => {
    fc.assert(
      fc.property(pingPongInit, (init) => {
        const messages = new PingPongDecoder().push(encodePingPong(init));
        expect(messages.map(messageKey)).toEqual([expectedKey(init)]);
        // The message is whole: its envelope reads back.
        decodeThriftMessageHeader(messages[0]?.message ?? new Uint8Array(0));
      }),
      RUNS,
    );
  });

  it('round-trips pipelined messages of mixed shapes, however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(pingPongInit, { minLength: 1, maxLength: 6 }).chain((inits) => {
          const bytes = concat(...inits.map(encodePingPong));
          return fc.tuple(fc.constant(inits), fc.constant(bytes), cutsFor(bytes.length));
        }),
        ([inits, bytes, cuts]) => {
          const decoder = new PingPongDecoder();
          expect(pushSplit(bytes, cuts, decoder).map(messageKey)).toEqual(inits.map(expectedKey));
          expect(decoder.midMessage).toBe(false);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('never completes a message early: every proper prefix leaves the decoder mid-message', () => {
    fc.assert(
      fc.property(pingPongInit, (init) => {
        const bytes = encodePingPong(init);
        const decoder = new PingPongDecoder();
        for (let i = 0; i < bytes.length - 1; i++) {
          expect(decoder.push(bytes.subarray(i, i + 1))).toEqual([]);
          expect(decoder.midMessage).toBe(true);
        }
        expect(decoder.push(bytes.subarray(bytes.length - 1))).toHaveLength(1);
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
