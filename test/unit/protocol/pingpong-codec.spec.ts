// Ping-pong framing round trips: the four shapes, mixed and pipelined on one connection, and
// every way of splitting the bytes.
import { describe, expect, it } from '@jest/globals';
import { HEADER_GDPR_TOKEN } from '../../../lib/protocol/header-keys.js';
import { PingPongDecoder } from '../../../lib/protocol/pingpong-decoder.js';
import { encodePingPong, type PingPongInit } from '../../../lib/protocol/pingpong-encoder.js';
import type { PingPongShape } from '../../../lib/protocol/pingpong-shape.js';
import { concat, toHex, u32 } from './helpers.js';
import {
  binaryString,
  fieldHeader,
  manyI32Fields,
  messageKey,
  plainMessage,
  type PlainMessage,
  pushBytewise,
  pushSplit,
  thriftMessage,
} from './pingpong-helpers.js';

const SHAPES: readonly PingPongShape[] = ['ttheader', 'ttheader-framed', 'framed', 'buffered'];
const isTTHeader = (shape: PingPongShape): boolean => shape.startsWith('ttheader');

// A struct with a bit of everything: nested struct, list<string>, map<i32, list<i64>>, set<bool>.
const RICH_ARGS = concat(
  fieldHeader(12, 1),
  fieldHeader(11, 1),
  binaryString('hello'),
  fieldHeader(15, 2),
  Uint8Array.of(11),
  u32(2),
  binaryString(''),
  binaryString('x'),
  Uint8Array.of(0),
  fieldHeader(13, 2),
  Uint8Array.of(8, 15),
  u32(1),
  u32(5),
  Uint8Array.of(10),
  u32(1),
  new Uint8Array(8),
  fieldHeader(14, 3),
  Uint8Array.of(2),
  u32(3),
  Uint8Array.of(1, 0, 1),
  fieldHeader(4, -1),
  new Uint8Array(8),
  Uint8Array.of(0),
);

const HEADERS = {
  intHeaders: new Map([
    [1, 'framed'],
    [3, 'client'],
    [9, 'Echo'],
    [12, '1000'],
    [22, '1'],
    [27, 'not lifted'],
  ]),
  strHeaders: new Map([
    ['isn', 'EchoService'],
    ['RPC_TRANSIT_k', 'v'],
    [HEADER_GDPR_TOKEN, 'token'],
    ['binary\udcff', 'é\udc80'],
  ]),
};

function init(shape: PingPongShape, seqId: number, message: Uint8Array): PingPongInit {
  return { shape, seqId, message, ...(isTTHeader(shape) ? HEADERS : {}) };
}

function expected(one: PingPongInit): PlainMessage {
  const tt = isTTHeader(one.shape);
  return {
    shape: one.shape,
    headerSeqId: tt ? one.seqId : undefined,
    intHeaders: tt ? [...(one.intHeaders ?? [])].sort((a, b) => a[0] - b[0]) : [],
    strHeaders: tt ? [...(one.strHeaders ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : 1)) : [],
    message: toHex(one.message),
  };
}

/** One message of each shape, with various structs. */
const MIXED: PingPongInit[] = [
  init('ttheader', 1, thriftMessage('Echo', 1, 1, RICH_ARGS)),
  init('buffered', 2, thriftMessage('Echo', 1, 2, RICH_ARGS)),
  init('framed', 3, thriftMessage('Ping', 4, 3)),
  init('buffered', 4, thriftMessage('', 1, 4)),
  init('ttheader-framed', -5, thriftMessage('Echo', 2, -5, manyI32Fields(20))),
  init('buffered', 6, thriftMessage('Big', 1, 6, manyI32Fields(300))),
  init('framed', 7, thriftMessage('Echo', 3, 7, RICH_ARGS)),
];
const MIXED_BYTES = concat(...MIXED.map(encodePingPong));

describe('ping-pong codec round trips', () => {
  it.each(SHAPES)('%s', (shape) => {
    const one = init(shape, 42, thriftMessage('Echo', 1, 42, RICH_ARGS));
    const decoder = new PingPongDecoder();
    const messages = decoder.push(encodePingPong(one));
    expect(messages.map(plainMessage)).toEqual([expected(one)]);
    expect(decoder.midMessage).toBe(false);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it.each(SHAPES)('%s without headers', (shape) => {
    const one: PingPongInit = { shape, seqId: 0, message: thriftMessage('M', 4, 0) };
    const [message] = new PingPongDecoder().push(encodePingPong(one));
    expect(message?.intHeaders.size).toBe(0);
    expect(message?.strHeaders.size).toBe(0);
    expect(message?.headerSeqId).toBe(isTTHeader(shape) ? 0 : undefined);
  });

  it('keeps header bytes that are not UTF-8, like ttstream headers', () => {
    const [message] = new PingPongDecoder().push(
      encodePingPong(init('ttheader', 1, thriftMessage('Echo', 1, 1))),
    );
    expect(message?.strHeaders.get('binary\udcff')).toBe('é\udc80');
    expect(message?.strHeaders.get(HEADER_GDPR_TOKEN)).toBe('token');
    expect(message?.intHeaders.get(27)).toBe('not lifted');
  });

  it('decodes the four shapes mixed and pipelined in one push', () => {
    const messages = new PingPongDecoder().push(MIXED_BYTES);
    expect(messages.map(plainMessage)).toEqual(MIXED.map(expected));
  });

  it('gives the same messages when the bytes arrive one at a time', () => {
    const decoder = new PingPongDecoder();
    expect(pushBytewise(MIXED_BYTES, decoder).map(plainMessage)).toEqual(MIXED.map(expected));
    expect(decoder.midMessage).toBe(false);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('gives the same messages for every split point of the pipelined bytes', () => {
    const want = new PingPongDecoder().push(MIXED_BYTES).map(messageKey);
    for (let cut = 0; cut <= MIXED_BYTES.length; cut++) {
      const got = pushSplit(MIXED_BYTES, [cut]).map(messageKey);
      if (got.join() !== want.join()) expect({ cut, got }).toEqual({ cut, got: want });
    }
  });

  it('gives the same messages for many pairs of split points of a short run', () => {
    // One message of each shape, then the first again: every head and boundary gets split.
    const run = [MIXED[0], MIXED[2], MIXED[3], MIXED[4], MIXED[0]] as PingPongInit[];
    const bytes = concat(...run.map(encodePingPong));
    const want = run.map(expected).map((m) => JSON.stringify(m));
    const seen = (cuts: number[]): string[] =>
      pushSplit(bytes, cuts)
        .map(plainMessage)
        .map((m) => JSON.stringify(m));
    for (let a = 0; a <= bytes.length; a += 7) {
      for (let b = a; b <= bytes.length; b += 6) {
        const got = seen([a, b]);
        if (got.join() !== want.join()) expect({ a, b, got }).toEqual({ a, b, got: want });
      }
    }
  });

  it('reports a message in progress', () => {
    const bytes = encodePingPong(init('buffered', 1, thriftMessage('Echo', 1, 1, RICH_ARGS)));
    const decoder = new PingPongDecoder();
    expect(decoder.midMessage).toBe(false);
    expect(decoder.push(bytes.subarray(0, 1))).toEqual([]);
    expect(decoder.midMessage).toBe(true);
    expect(decoder.bufferedBytes).toBe(1);
    expect(decoder.push(bytes.subarray(1, 20))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(20);
    expect(decoder.push(bytes.subarray(20))).toHaveLength(1);
    expect(decoder.midMessage).toBe(false);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('returns messages that survive later pushes', () => {
    const decoder = new PingPongDecoder();
    const first = encodePingPong(init('framed', 1, thriftMessage('A', 1, 1, RICH_ARGS)));
    const second = encodePingPong(init('buffered', 2, thriftMessage('B', 1, 2, RICH_ARGS)));
    const got = [
      ...decoder.push(first.subarray(0, 10)),
      ...decoder.push(concat(first.subarray(10), second.subarray(0, 7))),
    ];
    got.push(...decoder.push(second.subarray(7)));
    expect(got.map((m) => toHex(m.message))).toEqual([
      toHex(thriftMessage('A', 1, 1, RICH_ARGS)),
      toHex(thriftMessage('B', 1, 2, RICH_ARGS)),
    ]);
  });

  it('decodes a large Framed and a large Buffered message arriving in pieces', () => {
    const big = thriftMessage(
      'Big',
      1,
      1,
      concat(
        fieldHeader(11, 1),
        binaryString(new Uint8Array(300_000).fill(0x61)),
        Uint8Array.of(0),
      ),
    );
    for (const shape of SHAPES) {
      const bytes = encodePingPong({ shape, seqId: 1, message: big });
      const cuts = Array.from({ length: 40 }, (_, i) => Math.floor(((i + 1) * bytes.length) / 41));
      const [message] = pushSplit(bytes, cuts);
      expect(message?.shape).toBe(shape);
      expect(Buffer.from(message?.message ?? []).equals(big)).toBe(true);
    }
  });
});
