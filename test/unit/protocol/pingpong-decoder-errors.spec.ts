// Bad input on a ping-pong connection: each case is a FrameDecodeError with a clear message,
// raised as soon as the bytes that prove it arrive, and nothing is sized from a declared length.
import { describe, expect, it } from '@jest/globals';
import { TTStreamErrorCode } from '../../../lib/errors/error-code.js';
import { FrameDecodeError } from '../../../lib/protocol/frame-decode-error.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import { PingPongDecodeError } from '../../../lib/protocol/pingpong-decode-error.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  PingPongDecoder,
  type PingPongDecoderOptions,
} from '../../../lib/protocol/pingpong-decoder.js';
import { encodePingPong } from '../../../lib/protocol/pingpong-encoder.js';
import {
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_KEYS,
} from '../../../lib/protocol/ttheader-constants.js';
import { arrayBufferBytes } from './decode-helpers.js';
import { concat, fromHex, intBlock, strBlock, u16, u32 } from './helpers.js';
import { binaryString, fieldHeader, pushBytewise, thriftMessage } from './pingpong-helpers.js';

const MESSAGE = thriftMessage('Echo', 1, 7);

/** The error pushing `bytes` raises, in one chunk and (same message) one byte at a time. */
function decodeError(bytes: Uint8Array, options?: PingPongDecoderOptions): PingPongDecodeError {
  let whole: PingPongDecodeError | undefined;
  try {
    new PingPongDecoder(options).push(bytes);
  } catch (error) {
    whole = error as PingPongDecodeError;
  }
  if (whole === undefined) throw new Error('decoded in one chunk');
  expect(whole).toBeInstanceOf(FrameDecodeError);
  expect(whole).toBeInstanceOf(PingPongDecodeError);
  expect(whole.kind).toBe(TTStreamErrorCode.IllegalFrame);
  // Byte by byte: the same error, though it can quote only the bytes that had arrived.
  let bytewise: PingPongDecodeError | undefined;
  try {
    pushBytewise(bytes, new PingPongDecoder(options));
  } catch (error) {
    bytewise = error as PingPongDecodeError;
  }
  const unquoted = (text: string | undefined): string | undefined =>
    text?.replace(/start 0x[0-9a-f]*/, 'start 0x');
  expect(unquoted(bytewise?.detail)).toBe(unquoted(whole.detail));
  return whole;
}

/** A TTHeader ping-pong message built by hand, bypassing the encoder. */
function rawTTHeader(
  raw: {
    info?: Uint8Array;
    payload?: Uint8Array;
    length?: number;
    flags?: number;
    headerWords?: number;
  } = {},
): Uint8Array {
  let info = raw.info ?? Uint8Array.of(0, 0);
  if (info.length % 4 !== 0) info = concat(info, new Uint8Array(4 - (info.length % 4)));
  const payload = raw.payload ?? MESSAGE;
  return concat(
    u32(raw.length ?? 10 + info.length + payload.length),
    u16(0x1000),
    u16(raw.flags ?? 0),
    u32(7),
    u16(raw.headerWords ?? info.length / 4),
    info,
    payload,
  );
}

/** A Buffered CALL whose args struct is `body`. */
const buffered = (body: Uint8Array): Uint8Array => thriftMessage('Echo', 1, 7, body);

describe('PingPongDecoder errors', () => {
  describe('unknown input', () => {
    it.each([
      ['HTTP', new TextEncoder().encode('GET / HTTP/1.1\r\n'), '0x474554202f204854'],
      ['a top bit other than 0x8001', fromHex('ff000000'), '0xff000000'],
      ['0x80 then not 0x01', fromHex('8002000100000000'), '0x8002000100000000'],
      ['a MeshHeader', fromHex('ffaf0010 00000000'), '0xffaf001000000000'],
      ['non-strict Buffered', thriftMessageOld(), '0x000000044563686f'],
      ['non-strict Framed', concat(u32(17), thriftMessageOld()), '0x0000001100000004'],
    ])('%s', (_, bytes, start) => {
      const error = decodeError(bytes);
      expect(error.detail).toBe(
        `unrecognised message start ${start}: not TTHeader, Framed or Buffered strict Thrift ` +
          'Binary (non-strict Binary is not supported)',
      );
    });

    it('a ttstream frame (streaming flag set)', () => {
      const frame = encodeFrame({ type: 2, streamId: 1, method: 'Echo' });
      expect(decodeError(frame).detail).toBe(
        'a ttstream frame (TTHeader flags 0x0002, streaming bit 0x0002 set) on a ping-pong ' +
          'connection',
      );
    });

    it('a ttstream frame after good messages, which the error carries', () => {
      const good = concat(encodePingPong({ shape: 'framed', seqId: 1, message: MESSAGE }), MESSAGE);
      const bad = concat(good, encodeFrame({ type: 2, streamId: 1, method: 'Echo' }));
      const decoder = new PingPongDecoder();
      let error: PingPongDecodeError | undefined;
      try {
        decoder.push(bad);
      } catch (caught) {
        error = caught as PingPongDecodeError;
      }
      expect(error?.messagesBefore.map((m) => m.shape)).toEqual(['framed', 'buffered']);
      expect(error?.framesBefore).toEqual([]);
      // A dead decoder rethrows the same error.
      expect(() => decoder.push(MESSAGE)).toThrow(error);
      expect(decoder.midMessage).toBe(false);
    });
  });

  describe('sizes', () => {
    it('defaults to 64 MiB', () => {
      expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(64 * 1024 * 1024);
      expect(new PingPongDecoder().maxMessageBytes).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    });

    it.each([
      ['Framed', concat(u32(0x7fffffff), fromHex('8001')), 'Framed message length 2147483647'],
      ['TTHeader', concat(u32(0x40000000), fromHex('1000')), 'TTHeader length 1073741824'],
    ])('refuses a %s length over maxMessageBytes from its 6 first bytes', (_, bytes, what) => {
      expect(bytes).toHaveLength(6);
      expect(decodeError(bytes).detail).toBe(`${what} exceeds maxMessageBytes 67108864`);
    });

    it('takes a smaller cap, and the exact cap passes', () => {
      const framed = encodePingPong({ shape: 'framed', seqId: 1, message: MESSAGE });
      const options = { maxMessageBytes: MESSAGE.length };
      expect(new PingPongDecoder(options).push(framed)).toHaveLength(1);
      const small = { maxMessageBytes: MESSAGE.length - 1 };
      expect(decodeError(framed, small).detail).toContain('Framed message length 17 exceeds');
      const tt = encodePingPong({ shape: 'ttheader', seqId: 1, message: MESSAGE });
      expect(new PingPongDecoder({ maxMessageBytes: tt.length - 4 }).push(tt)).toHaveLength(1);
      expect(decodeError(tt, { maxMessageBytes: tt.length - 5 }).detail).toContain(
        `TTHeader length ${tt.length - 4} exceeds maxMessageBytes ${tt.length - 5}`,
      );
      expect(new PingPongDecoder(options).push(MESSAGE)).toHaveLength(1);
      expect(decodeError(MESSAGE, small).detail).toBe(
        'Buffered message exceeds maxMessageBytes 16 (17 bytes read)',
      );
    });

    it('does not buffer a 2 GiB declared length', () => {
      const decoder = new PingPongDecoder({ maxMessageBytes: 0x7fffffff });
      const before = arrayBufferBytes();
      const head = concat(u32(0x7fffffff), fromHex('80010001'), new Uint8Array(1000));
      expect(decoder.push(head)).toEqual([]);
      expect(decoder.bufferedBytes).toBe(head.length);
      const tt = rawTTHeader({ length: 0x7fffffff });
      const other = new PingPongDecoder({ maxMessageBytes: 0x7fffffff });
      expect(other.push(tt)).toEqual([]);
      expect(arrayBufferBytes() - before).toBeLessThan(1024 * 1024);
    });

    it('refuses a Buffered string or container that cannot fit, before its bytes arrive', () => {
      const string = buffered(concat(fieldHeader(11, 1), u32(0x40000000)));
      expect(decodeError(string).detail).toBe(
        'string of 1073741824 bytes cannot fit in maxMessageBytes 67108864 ' +
          '(23 bytes of the Buffered message read)',
      );
      const list = buffered(concat(fieldHeader(15, 1), Uint8Array.of(8), u32(0x1000000)));
      expect(decodeError(list).detail).toContain('container of 16777216 items cannot fit');
      const map = buffered(concat(fieldHeader(13, 1), Uint8Array.of(11, 12), u32(0x1000000)));
      expect(decodeError(map).detail).toContain('container of 16777216 items cannot fit');
      const name = concat(fromHex('80010001'), u32(0x7fffffff));
      expect(decodeError(name).detail).toContain('method name of 2147483647 bytes cannot fit');
    });

    it('refuses a Framed length below the smallest message', () => {
      expect(decodeError(fromHex('0000000c 8001 0001 00000000 00000000')).detail).toBe(
        'Framed message length 12 is below the smallest Thrift message (13 bytes)',
      );
    });

    it.each([
      ['maxMessageBytes 13', { maxMessageBytes: 13 }],
      ['maxMessageBytes 2^31', { maxMessageBytes: 2 ** 31 }],
      ['maxMessageBytes 1.5e3', { maxMessageBytes: 1500.5 }],
      ['maxDepth 0', { maxDepth: 0 }],
    ])('refuses option %s', (_, options) => {
      expect(() => new PingPongDecoder(options)).toThrow(RangeError);
    });
  });

  describe('TTHeader fields', () => {
    it.each([
      [
        'LENGTH below 14',
        rawTTHeader({ length: 13 }),
        'TTHeader length 13 is below the minimum 14',
      ],
      [
        'header size 0',
        rawTTHeader({ headerWords: 0 }),
        'TTHeader header size 0: the header info needs at least one word',
      ],
      [
        'a header size beyond LENGTH',
        rawTTHeader({ headerWords: 100 }),
        'TTHeader header size 100 words (400 bytes) exceeds its length 31',
      ],
      [
        'protocol id 0x10 (a bare struct)',
        rawTTHeader({ info: Uint8Array.of(0x10, 0) }),
        'TTHeader protocol id 0x10 on a ping-pong connection: only Thrift Binary (0x00) is supported',
      ],
      [
        'an unknown info id',
        rawTTHeader({ info: Uint8Array.of(0, 0, 0x22) }),
        'unknown info id 0x22 at header info offset 2',
      ],
      [
        'transforms that do not fit',
        rawTTHeader({ info: Uint8Array.of(0, 9) }),
        '9 transform ids do not fit in a 4-byte header info',
      ],
      [
        'a truncated string pair',
        rawTTHeader({ info: concat(Uint8Array.of(0, 0), strBlock([['isn', 'x']], 2)) }),
        'string KV value length truncated',
      ],
      [
        'a truncated int pair',
        rawTTHeader({ info: concat(Uint8Array.of(0, 0, 0x10, 0, 1, 0, 9, 0, 40)) }),
        'int KV value truncated: needs 40 bytes',
      ],
      [
        'an empty payload',
        rawTTHeader({ payload: new Uint8Array(0) }),
        'TTHeader payload of 0 bytes is not a strict Thrift Binary message (Framed or not); it starts 0x',
      ],
      [
        'a payload that is no message',
        rawTTHeader({ payload: fromHex('00000004 4563686f 01') }),
        'TTHeader payload of 9 bytes is not a strict Thrift Binary message (Framed or not); it starts 0x000000044563686f',
      ],
      [
        'a Framed length that does not match the payload',
        rawTTHeader({ payload: concat(u32(MESSAGE.length + 1), MESSAGE) }),
        'TTHeader + Framed: framed length 18 does not match the 17 payload bytes after it',
      ],
    ])('refuses %s', (_, bytes, detail) => {
      expect(decodeError(bytes).detail).toContain(detail);
    });
  });

  describe('header caps (same defaults as ttstream)', () => {
    const withKeys = (count: number): Uint8Array => {
      const pairs = Array.from({ length: count }, (_, i) => [String(i), ''] as const);
      return rawTTHeader({ info: concat(Uint8Array.of(0, 0), strBlock(pairs)) });
    };

    it('accepts maxHeaderKeys keys, refuses one more', () => {
      const [message] = new PingPongDecoder().push(withKeys(DEFAULT_MAX_HEADER_KEYS));
      expect(message?.strHeaders.size).toBe(DEFAULT_MAX_HEADER_KEYS);
      expect(decodeError(withKeys(DEFAULT_MAX_HEADER_KEYS + 1)).detail).toContain(
        'header has over 4096 keys (maxHeaderKeys)',
      );
    });

    it('counts int and string keys together, and takes a smaller cap', () => {
      const info = concat(Uint8Array.of(0, 0), strBlock([['a', '1']]), intBlock([[9, 'M']]));
      expect(new PingPongDecoder({ maxHeaderKeys: 2 }).push(rawTTHeader({ info }))).toHaveLength(1);
      expect(decodeError(rawTTHeader({ info }), { maxHeaderKeys: 1 }).detail).toContain(
        'header has over 1 keys',
      );
    });

    it('refuses header info over maxHeaderBytes from the header size field', () => {
      const words = DEFAULT_MAX_HEADER_BYTES / 4 + 1;
      const head = concat(u32(0x100000), u16(0x1000), u16(0), u32(1), u16(words));
      expect(decodeError(head).detail).toBe(
        `header info of ${words * 4} bytes exceeds maxHeaderBytes ${DEFAULT_MAX_HEADER_BYTES}`,
      );
      expect(decodeError(withKeys(20), { maxHeaderBytes: 64 }).detail).toMatch(
        /^header info of \d+ bytes exceeds maxHeaderBytes 64$/,
      );
    });
  });

  describe('Buffered structs', () => {
    it.each([
      [
        'a negative name length',
        concat(fromHex('80010001'), u32(0xffffffff)),
        'negative method name length -1',
      ],
      [
        'a negative string length',
        buffered(concat(fieldHeader(11, 1), u32(0xfffffff0))),
        'negative string length -16',
      ],
      [
        'a negative list size',
        buffered(concat(fieldHeader(15, 1), Uint8Array.of(11), u32(0xffffffff))),
        'negative container size -1',
      ],
      [
        'a negative map size',
        buffered(concat(fieldHeader(13, 1), Uint8Array.of(11, 11), u32(0x80000000))),
        'negative container size -2147483648',
      ],
      [
        'field type VOID (1)',
        buffered(fieldHeader(1, 1)),
        'bad field type 1 in a Buffered message at offset 16',
      ],
      ['field type 5', buffered(fieldHeader(5, 1)), 'bad field type 5'],
      ['field type 16 (UUID)', buffered(fieldHeader(16, 1)), 'bad field type 16'],
      ['field type 0xff', buffered(fieldHeader(0xff, 1)), 'bad field type 255'],
      [
        'list element type STOP',
        buffered(concat(fieldHeader(15, 1), Uint8Array.of(0))),
        'bad element type 0',
      ],
      [
        'set element type 7',
        buffered(concat(fieldHeader(14, 1), Uint8Array.of(7))),
        'bad element type 7',
      ],
      [
        'map key type 9',
        buffered(concat(fieldHeader(13, 1), Uint8Array.of(9))),
        'bad map key type 9',
      ],
      [
        'map value type 1',
        buffered(concat(fieldHeader(13, 1), Uint8Array.of(11, 1))),
        'bad map value type 1',
      ],
    ])('refuses %s', (_, bytes, detail) => {
      expect(decodeError(bytes).detail).toContain(detail);
    });

    it('bounds the nesting depth (64 by default, the message struct included)', () => {
      const nested = (levels: number): Uint8Array => {
        const open: Uint8Array[] = [];
        for (let i = 1; i < levels; i++) open.push(fieldHeader(12, 1));
        return buffered(concat(...open, new Uint8Array(levels)));
      };
      expect(new PingPongDecoder().push(nested(64))).toHaveLength(1);
      expect(decodeError(nested(65)).detail).toBe(
        'Buffered message nests deeper than 64 levels (maxDepth)',
      );
      expect(decodeError(nested(4), { maxDepth: 3 }).detail).toContain('deeper than 3 levels');
      // Containers count too: list<list<...>>.
      const lists = buffered(
        concat(
          fieldHeader(15, 1),
          ...Array.from({ length: 70 }, () => concat(Uint8Array.of(15), u32(1))),
        ),
      );
      expect(decodeError(lists).detail).toContain('deeper than 64 levels');
    });

    it('reads strings, containers and unknown field ids whole', () => {
      const body = concat(
        fieldHeader(11, -7),
        binaryString('\u0000\u0080 not a field'),
        fieldHeader(13, 2),
        Uint8Array.of(11, 12),
        u32(2),
        binaryString('a'),
        Uint8Array.of(0),
        binaryString('b'),
        concat(fieldHeader(2, 1), Uint8Array.of(1), Uint8Array.of(0)),
        Uint8Array.of(0),
      );
      const message = buffered(body);
      const messages = new PingPongDecoder().push(concat(message, message));
      expect(messages).toHaveLength(2);
      expect(messages[1]?.message).toEqual(message);
    });
  });
});

/** The old non-strict form: name length first, then name, type byte, seq id, struct. */
function thriftMessageOld(): Uint8Array {
  return concat(
    u32(4),
    new TextEncoder().encode('Echo'),
    Uint8Array.of(1),
    u32(7),
    Uint8Array.of(0),
  );
}
