import { describe, expect, it } from '@jest/globals';
import { TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { FrameEncodeError } from '../../../lib/protocol/frame-encode-error.js';
import { encodeFrame, encodeFrameHead } from '../../../lib/protocol/frame-encoder.js';
import type { FrameInit } from '../../../lib/protocol/frame.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import {
  MAX_HEADER_INFO_BYTES,
  MAX_HEADER_PAIRS,
  MAX_HEADER_STRING_BYTES,
} from '../../../lib/protocol/ttheader-constants.js';
import {
  aclBlock,
  bareBlocks,
  concat,
  intBlock,
  plain,
  rawFrame,
  strBlock,
  toHex,
} from './helpers.js';

const data = (init: Partial<FrameInit> = {}): FrameInit => ({
  type: FrameType.Data,
  streamId: 1,
  method: 'ServerStream',
  ...init,
});

function encodeError(init: FrameInit, options?: { maxFrameBytes?: number }): FrameEncodeError {
  let head: Uint8Array | undefined;
  let whole: Uint8Array | undefined;
  let headError: unknown;
  let wholeError: unknown;
  try {
    head = encodeFrameHead(init, options);
  } catch (error) {
    headError = error;
  }
  try {
    whole = encodeFrame(init, options);
  } catch (error) {
    wholeError = error;
  }
  // Both entry points refuse, with the same detail, and produce nothing.
  expect(head).toBeUndefined();
  expect(whole).toBeUndefined();
  expect(headError).toBeInstanceOf(FrameEncodeError);
  expect(wholeError).toBeInstanceOf(FrameEncodeError);
  expect((headError as FrameEncodeError).detail).toBe((wholeError as FrameEncodeError).detail);
  return wholeError as FrameEncodeError;
}

function roundTrip(init: FrameInit) {
  const frames = new FrameDecoder({ maxFrameBytes: 0x7fffffff }).push(encodeFrame(init));
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

/** A frame with one string pair whose header info is exactly `infoBytes` before padding. */
function withHeaderInfo(infoBytes: number): FrameInit {
  // 2 (protocol id, transforms) + int block 3 + 5 + 5 (method "M") + string block 3 + 4 + 1 ("k")
  const value = 'v'.repeat(infoBytes - 23);
  return { type: 2, streamId: 1, method: 'M', strHeaders: new Map([['k', value]]) };
}

describe('encodeFrame layout', () => {
  it('writes the ACL token block first, then strings, then ints 27, 9 and the rest in map order', () => {
    const init: FrameInit = {
      type: FrameType.Header,
      streamId: 7,
      method: 'Echo',
      strHeaders: new Map([
        ['isn', 'TestService'],
        ['RPC_TRANSIT_gdpr-token', 'tok'],
        ['RPC_PERSIST_a', 'b'],
      ]),
      intHeaders: new Map([
        [12, '1500'],
        [3, 'caller'],
      ]),
    };
    const expected = rawFrame({
      streamId: 7,
      blocks: concat(
        aclBlock('tok'),
        strBlock([
          ['isn', 'TestService'],
          ['RPC_PERSIST_a', 'b'],
        ]),
        intBlock([
          [27, '2'],
          [9, 'Echo'],
          [12, '1500'],
          [3, 'caller'],
        ]),
      ),
    });
    expect(toHex(encodeFrame(init))).toBe(toHex(expected));
  });

  it('writes no string block when the only string pair is the gdpr token', () => {
    const init = data({ type: 2, strHeaders: new Map([['RPC_TRANSIT_gdpr-token', '']]) });
    expect(toHex(encodeFrame(init))).toBe(
      toHex(rawFrame({ blocks: concat(aclBlock(''), bareBlocks('2')) })),
    );
    expect([...roundTrip(init).strHeaders]).toEqual([['RPC_TRANSIT_gdpr-token', '']]);
  });

  it('writes empty maps like absent ones', () => {
    const bare = encodeFrame(data());
    expect(toHex(encodeFrame(data({ strHeaders: new Map(), intHeaders: new Map() })))).toBe(
      toHex(bare),
    );
    expect(toHex(bare)).toBe(toHex(rawFrame()));
  });

  it('writes stream ids as signed int32 and multi-digit frame types as decimal text', () => {
    const bytes = encodeFrame(data({ streamId: -2, type: 42 }));
    expect(toHex(bytes.subarray(8, 12))).toBe('fffffffe');
    expect(plain(roundTrip(data({ streamId: -2, type: 42 })))).toMatchObject({
      streamId: -2,
      type: 42,
    });
    expect(toHex(bytes)).toBe(toHex(rawFrame({ streamId: -2, blocks: bareBlocks('42') })));
  });

  it('gives the same bytes for bare frames on repeated calls and different methods', () => {
    const a1 = encodeFrame(data({ method: 'A', payload: Uint8Array.of(1) }));
    const b = encodeFrame(data({ method: 'B', payload: Uint8Array.of(2) }));
    const a2 = encodeFrame(data({ method: 'A', payload: Uint8Array.of(3) }));
    expect(toHex(a1).slice(0, -2)).toBe(toHex(a2).slice(0, -2));
    expect(plain(roundTrip(data({ method: 'B', payload: Uint8Array.of(2) })))).toEqual(
      plain(new FrameDecoder().push(b)[0]!),
    );
    expect(roundTrip(data({ method: 'A', type: 4 })).type).toBe(4);
  });

  it('does not let the caller mutate cached bytes through the output', () => {
    const first = encodeFrame(data({ method: 'Cached' }));
    first.fill(0xee);
    expect(roundTrip(data({ method: 'Cached' })).method).toBe('Cached');
  });

  it('never hands out overlapping bytes, whatever the size', () => {
    const sizes = [0, 30, 64, 1000, 4000, 5000, 1000, 30];
    const outputs = sizes.map((size, i) =>
      encodeFrame(data({ streamId: i, payload: new Uint8Array(size) })),
    );
    for (const output of outputs) output.fill(0xaa);
    const fresh = sizes.map((size, i) =>
      encodeFrame(data({ streamId: i, payload: new Uint8Array(size) })),
    );
    const decoded = new FrameDecoder().push(concat(...fresh));
    expect(decoded.map((frame) => frame.streamId)).toEqual(sizes.map((_, i) => i));
    expect(decoded.map((frame) => frame.payload.every((b) => b === 0))).toEqual(
      sizes.map(() => true),
    );
    for (const output of outputs) expect(output.every((b) => b === 0xaa)).toBe(true);
  });

  it('encodeFrameHead counts the payload in LENGTH and stops before it', () => {
    const payload = new Uint8Array(100_000).fill(7);
    const head = encodeFrameHead(data({ payload }));
    const whole = encodeFrame(data({ payload }));
    expect(head.length).toBe(whole.length - payload.length);
    expect(toHex(concat(head, payload))).toBe(toHex(whole));
    expect(new DataView(head.buffer, head.byteOffset).getUint32(0)).toBe(whole.length - 4);
  });
});

describe('encoder limits (each refusal is a FrameEncodeError and produces nothing)', () => {
  it('is a TTStreamError of kind IllegalFrame', () => {
    const error = encodeError(data({ streamId: 2 ** 31 }));
    expect(error).toBeInstanceOf(TTStreamError);
    expect(error.kind).toBe(TTStreamErrorCode.IllegalFrame);
    expect(error.name).toBe('FrameEncodeError');
    expect(error.detail).toBe('stream id 2147483648 is not an int32');
  });

  it(`header info of ${MAX_HEADER_INFO_BYTES} bytes is accepted, one more is refused`, () => {
    expect(MAX_HEADER_INFO_BYTES).toBe(65532);
    const atLimit = encodeFrame(withHeaderInfo(65532));
    expect(atLimit[12]! * 256 + atLimit[13]!).toBe(65532 / 4);
    expect(roundTrip(withHeaderInfo(65532)).strHeaders.get('k')).toHaveLength(65509);
    // content 65530 bytes pads up to exactly 65532
    expect(encodeFrame(withHeaderInfo(65530)).length).toBe(atLimit.length);
    expect(encodeError(withHeaderInfo(65533)).detail).toBe(
      'header info is at least 65533 bytes, over the 65532-byte limit',
    );
  });

  it('counts multi-byte UTF-8 in the header info budget', () => {
    const value = '€'.repeat(21_837); // 65,511 bytes: 2 over the budget
    const init: FrameInit = {
      type: 2,
      streamId: 1,
      method: 'M',
      strHeaders: new Map([['k', value]]),
    };
    expect(encodeError(init).detail).toMatch(/^header info is at least 65534 bytes/);
  });

  it.each([
    ['method', data({ method: 'm'.repeat(65536) }), 'method is at least 65536'],
    [
      'a string key',
      data({ strHeaders: new Map([['k'.repeat(65536), 'v']]) }),
      'string header key is at least 65536',
    ],
    [
      'a string value',
      data({ strHeaders: new Map([['k', 'v'.repeat(70000)]]) }),
      'value of string header "k" is at least 70000',
    ],
    [
      'a multi-byte string value',
      data({ strHeaders: new Map([['k', '€'.repeat(30000)]]) }),
      'value of string header "k" is 90000',
    ],
    [
      'an int value',
      data({ intHeaders: new Map([[12, '1'.repeat(65536)]]) }),
      'value of int header 12 is at least 65536',
    ],
    [
      'the gdpr token',
      data({ strHeaders: new Map([['RPC_TRANSIT_gdpr-token', 't'.repeat(65536)]]) }),
      'gdpr token is at least 65536',
    ],
  ])(`%s over ${MAX_HEADER_STRING_BYTES} UTF-8 bytes is refused`, (_, init, detail) => {
    expect(encodeError(init).detail).toBe(`${detail} UTF-8 bytes, over the 65535-byte limit`);
  });

  it('a 65535-byte string passes the string check but not the header budget', () => {
    expect(encodeError(data({ method: 'm'.repeat(65535) })).detail).toMatch(
      /^header info is at least \d+ bytes, over the 65532-byte limit$/,
    );
  });

  it.each([2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'stream id %p is refused',
    (streamId) => {
      expect(encodeError(data({ streamId })).detail).toBe(
        `stream id ${String(streamId)} is not an int32`,
      );
    },
  );

  it.each([-(2 ** 31), 2 ** 31 - 1, 0, -1])('stream id %p is accepted', (streamId) => {
    expect(roundTrip(data({ streamId })).streamId).toBe(streamId);
  });

  it.each([-1, 1.5, 2 ** 31, Number.NaN])('frame type %p is refused', (type) => {
    expect(encodeError(data({ type })).detail).toBe(
      `frame type ${String(type)} is not a non-negative int32`,
    );
  });

  it(`more than ${MAX_HEADER_PAIRS} string pairs are refused`, () => {
    const strHeaders = new Map(Array.from({ length: 65536 }, (_, i) => [`k${i}`, ''] as const));
    expect(encodeError(data({ strHeaders })).detail).toBe(
      '65536 string header pairs, over the 65535 limit',
    );
  });

  it('more than 65535 int pairs (27 and 9 included) are refused', () => {
    const intHeaders = new Map(
      Array.from({ length: 65534 }, (_, i) => [i + 28, ''] as const).filter(([k]) => k <= 0xffff),
    );
    // keys 28..65535 are 65508 pairs; add keys 0..8 and 10..26 to reach 65534 + 2 > 65535
    for (let k = 0; k < 27; k++) if (k !== 9) intHeaders.set(k, '');
    expect(intHeaders.size).toBe(65534);
    expect(encodeError(data({ intHeaders })).detail).toBe(
      '65536 int header pairs, over the 65535 limit',
    );
  });

  it.each([
    [27, "int header key 27 is set from the frame's type/method"],
    [9, "int header key 9 is set from the frame's type/method"],
    [65536, 'int header key 65536 is not a u16'],
    [-1, 'int header key -1 is not a u16'],
    [1.5, 'int header key 1.5 is not a u16'],
  ])('int key %p is refused', (key, detail) => {
    expect(encodeError(data({ intHeaders: new Map([[key, 'x']]) })).detail).toBe(detail);
  });

  it('maxFrameBytes bounds LENGTH, payload included', () => {
    const payload = new Uint8Array(1000 - 10 - 28);
    expect(encodeFrame(data({ payload }), { maxFrameBytes: 1000 })).toHaveLength(1004);
    expect(encodeFrameHead(data({ payload }), { maxFrameBytes: 1000 })).toHaveLength(42);
    const bigger = data({ payload: new Uint8Array(payload.length + 1) });
    expect(encodeError(bigger, { maxFrameBytes: 1000 }).detail).toBe(
      'frame length 1001 exceeds maxFrameBytes 1000',
    );
  });

  it('rejects an invalid maxFrameBytes option with a RangeError', () => {
    for (const maxFrameBytes of [-1, 1.5, 2 ** 31]) {
      expect(() => encodeFrame(data(), { maxFrameBytes })).toThrow(RangeError);
    }
  });

  it('keeps working after a refusal', () => {
    encodeError(data({ method: 'x'.repeat(70000) }));
    expect(roundTrip(data({ method: 'x' })).method).toBe('x');
  });
});
