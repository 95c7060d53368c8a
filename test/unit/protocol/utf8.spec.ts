import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeUtf8, encodeUtf8 } from '../../../lib/protocol/utf8.js';

const decodeAll = (bytes: Uint8Array): string => decodeUtf8(bytes, 0, bytes.length);
const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const isUtf8 = (bytes: Uint8Array): boolean => {
  try {
    reference.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** Byte strings rich in lead and continuation bytes, so that broken sequences are common. */
const byteSoup = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0x80, max: 0xbf }),
    fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
  ),
  { maxLength: 60 },
);

describe('header strings (binary-safe UTF-8)', () => {
  it('round-trip every byte string exactly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), byteSoup), (input) => {
        const bytes = Uint8Array.from(input);
        expect([...encodeUtf8(decodeAll(bytes))]).toEqual([...bytes]);
      }),
      { seed: 7, numRuns: 5000 },
    );
  });

  it('decode well-formed UTF-8 exactly as TextDecoder does, BOM kept', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const bytes = new TextEncoder().encode(`\ufeff${text}`);
        expect(decodeAll(bytes)).toBe(reference.decode(bytes));
      }),
      { seed: 8, numRuns: 2000 },
    );
  });

  it('escape exactly the bytes outside well-formed sequences, and only for invalid input', () => {
    fc.assert(
      fc.property(byteSoup, (input) => {
        const bytes = Uint8Array.from(input);
        const text = decodeAll(bytes);
        expect(/[\udc80-\udcff]/.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))).toBe(
          !isUtf8(bytes),
        );
      }),
      { seed: 9, numRuns: 3000 },
    );
  });

  it('follow Unicode table 3-7: overlongs, surrogates and code points over U+10FFFF are escaped', () => {
    const cases: [number[], string][] = [
      [[0xc0, 0xaf], '\udcc0\udcaf'], // overlong '/'
      [[0xe0, 0x80, 0xaf], '\udce0\udc80\udcaf'], // overlong
      [[0xed, 0xa0, 0x80], '\udced\udca0\udc80'], // an encoded surrogate
      [[0xf4, 0x90, 0x80, 0x80], '\udcf4\udc90\udc80\udc80'], // above U+10FFFF
      [[0xf0, 0x9f, 0x98], '\udcf0\udc9f\udc98'], // a truncated emoji
      [[0x41, 0xe2, 0x82, 0xac, 0xff], 'A\u20ac\udcff'], // valid text around a bad byte
      [[0xf0, 0x9f, 0x98, 0x80, 0x80], '\u{1f600}\udc80'], // a pair, then a stray byte
    ];
    for (const [bytes, text] of cases) {
      expect(decodeAll(Uint8Array.from(bytes))).toBe(text);
      expect([...encodeUtf8(text)]).toEqual(bytes);
    }
  });

  it('encode other lone surrogates as U+FFFD, like TextEncoder', () => {
    expect([...encodeUtf8('\ud800')]).toEqual([0xef, 0xbf, 0xbd]);
    expect([...encodeUtf8('a\udc00b')]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
    expect([...encodeUtf8('\ud83d\ude00\udcab')]).toEqual([0xf0, 0x9f, 0x98, 0x80, 0xab]);
    expect([...encodeUtf8('\ud800\udc80')]).toEqual([0xf0, 0x90, 0x82, 0x80]); // a pair
  });

  it('decode a long invalid value (more units than one fromCharCode call takes)', () => {
    const bytes = new Uint8Array(65_535).fill(0xab);
    const text = decodeAll(bytes);
    expect(text.length).toBe(65_535);
    expect(encodeUtf8(text)).toEqual(bytes);
  });

  it('decode at an offset inside a larger buffer', () => {
    const bytes = Uint8Array.of(0x00, 0xff, 0x68, 0x69, 0x00);
    expect(decodeUtf8(bytes, 1, 3)).toBe('\udcffhi');
  });
});
