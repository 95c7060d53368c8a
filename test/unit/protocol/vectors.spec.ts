import { describe, expect, it } from '@jest/globals';
import { encodeFrame, encodeFrameHead } from '../../../lib/protocol/frame-encoder.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import type { Frame, FrameInit } from '../../../lib/protocol/frame.js';
import {
  bareBlocks,
  concat,
  fixtureNames,
  fromHex,
  intBlock,
  loadFixture,
  plain,
  rawFrame,
  strBlock,
  toHex,
} from './helpers.js';

const METHOD = 'ServerStream';
const RST_PAYLOAD_HEX =
  '800100030000000c53657276657253747265616d000000010b000100000082' +
  '7573657220636f646520696e766f6b696e672073747265616d20525043207769746820636f6e746578742070726f63657373656420627920636f6e746578742e5769746843616e63656c206f7220636f6e746578742e5769746854696d656f75742c207468656e20696e766f6b696e672063616e63656c2829206163746976656c79' +
  '08000200002ee700';
const APP_EXCEPTION_HEX =
  '800100030000000c53657276657253747265616d000000010b00010000001562697a206572726f723a2074657374206572726f720800020000000600';

function frame(type: number, str: [string, string][] = [], payloadHex = ''): FrameInit {
  return {
    type,
    streamId: 1,
    method: METHOD,
    strHeaders: new Map(str),
    payload: fromHex(payloadHex),
  };
}

// What each spec vector (ttstream-protocol.md section 9) decodes to.
const VECTORS: Record<string, FrameInit> = {
  'v1-client-header.hex': frame(2, [['isn', 'TestService']]),
  'v1-client-header-metainfo.hex': frame(2, [
    ['isn', 'TestService'],
    ['RPC_TRANSIT_k2', 'v2'],
    ['RPC_PERSIST_k1', 'v1'],
  ]),
  'v2-data.hex': frame(3, [], '0b0001000000026869' + '00'),
  'v3-server-header-empty.hex': frame(2),
  'v4-trailer-biz-error.hex': frame(4, [
    ['biz-status', '10001'],
    ['biz-message', 'insufficient user balance'],
    ['biz-extra', '{"testKey":"testVal"}'],
  ]),
  'v5-trailer-empty.hex': frame(4),
  'v6-rst-cancel.hex': frame(5, [['ttscp', 'A']], RST_PAYLOAD_HEX),
  'v6-rst-cancel-no-service.hex': frame(5, [], RST_PAYLOAD_HEX),
  'v7-trailer-app-exception.hex': frame(4, [], APP_EXCEPTION_HEX),
};

const expected = (init: FrameInit): Frame => ({
  intHeaders: new Map(),
  strHeaders: new Map(),
  payload: new Uint8Array(0),
  ...init,
});

function decodeAll(bytes: Uint8Array): Frame[] {
  const decoder = new FrameDecoder();
  const frames = decoder.push(bytes);
  expect(decoder.bufferedBytes).toBe(0);
  return frames;
}

describe('spec hex vectors', () => {
  it('has one fixture per vector, each annotated', () => {
    expect(fixtureNames()).toEqual(Object.keys(VECTORS).sort());
  });

  describe.each(Object.entries(VECTORS))('%s', (name, init) => {
    const bytes = loadFixture(name);

    it('declares its own length', () => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(view.getUint32(0) + 4).toBe(bytes.length);
    });

    it('decodes', () => {
      const frames = decodeAll(bytes);
      expect(frames.map(plain)).toEqual([plain(expected(init))]);
    });

    it('encodes byte-exact', () => {
      expect(toHex(encodeFrame(init))).toBe(toHex(bytes));
    });

    it('encodes the head as everything before the payload', () => {
      const head = encodeFrameHead(init);
      const payloadLength = init.payload?.length ?? 0;
      expect(toHex(head)).toBe(toHex(bytes.subarray(0, bytes.length - payloadLength)));
    });

    it('round-trips decode -> encode -> decode', () => {
      const [decoded] = decodeAll(bytes);
      const again = encodeFrame(decoded!);
      expect(toHex(again)).toBe(toHex(bytes));
      expect(decodeAll(again).map(plain)).toEqual([plain(decoded!)]);
    });

    it('decodes the same when fed one byte at a time', () => {
      const decoder = new FrameDecoder();
      const frames: Frame[] = [];
      for (let i = 0; i < bytes.length; i++) {
        const got = decoder.push(bytes.subarray(i, i + 1));
        if (i < bytes.length - 1) expect(got).toEqual([]);
        frames.push(...got);
      }
      expect(frames.map(plain)).toEqual([plain(expected(init))]);
      expect(decoder.bufferedBytes).toBe(0);
    });
  });

  it('decodes all vectors back to back from one buffer', () => {
    const names = Object.keys(VECTORS);
    const frames = decodeAll(concat(...names.map(loadFixture)));
    expect(frames.map(plain)).toEqual(names.map((name) => plain(expected(VECTORS[name]!))));
  });
});

describe('key order does not matter when decoding', () => {
  const ordersOfV1: [string, Uint8Array][] = [
    [
      'int keys 9 then 27',
      concat(
        strBlock([['isn', 'TestService']]),
        intBlock([
          [9, METHOD],
          [27, '2'],
        ]),
      ),
    ],
    ['int block before string block', concat(bareBlocks('2'), strBlock([['isn', 'TestService']]))],
  ];

  it.each(ordersOfV1)('V1 with %s', (_, blocks) => {
    const permuted = rawFrame({ blocks });
    const original = loadFixture('v1-client-header.hex');
    expect(permuted.length).toBe(original.length);
    expect(toHex(permuted)).not.toBe(toHex(original));
    expect(decodeAll(permuted).map(plain)).toEqual(decodeAll(original).map(plain));
  });

  const v4Pairs: [string, string][] = [
    ['biz-status', '10001'],
    ['biz-message', 'insufficient user balance'],
    ['biz-extra', '{"testKey":"testVal"}'],
  ];
  const permutations: [string, string][][] = [
    [v4Pairs[2]!, v4Pairs[0]!, v4Pairs[1]!],
    [v4Pairs[1]!, v4Pairs[2]!, v4Pairs[0]!],
    [v4Pairs[2]!, v4Pairs[1]!, v4Pairs[0]!],
  ];

  it.each(permutations.map((pairs) => [pairs.map(([k]) => k).join(','), pairs] as const))(
    'V4 with string keys %s and int keys 9, 27',
    (_, pairs) => {
      const blocks = concat(
        strBlock(pairs),
        intBlock([
          [9, METHOD],
          [27, '4'],
        ]),
      );
      const permuted = rawFrame({ blocks });
      const original = loadFixture('v4-trailer-biz-error.hex');
      expect(permuted.length).toBe(original.length);
      expect(toHex(permuted)).not.toBe(toHex(original));
      expect(decodeAll(permuted).map(plain)).toEqual(decodeAll(original).map(plain));
    },
  );
});
