import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeShortString, SHORT_STRING_MAX } from '../../../lib/thrift/short-string-cache.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
let slowCalls = 0;
const slow = (buf: Uint8Array, start: number, end: number): string => {
  slowCalls++;
  return decoder.decode(buf.subarray(start, end));
};

function decode(text: string, offset = 0): string {
  const bytes = encoder.encode(text);
  const buf = new Uint8Array(offset + bytes.length);
  buf.set(bytes, offset);
  return decodeShortString(buf, offset, bytes.length, slow);
}

describe('decodeShortString', () => {
  it('decodes once, then serves repeats from the cache', () => {
    const before = slowCalls;
    expect(decode('header-key-1')).toBe('header-key-1');
    expect(decode('header-key-1', 5)).toBe('header-key-1');
    expect(slowCalls - before).toBe(1);
  });

  it('never confuses strings that differ only where the hash does not look', () => {
    // Same length, first 8 and last 4 bytes equal: same slot pair, different strings.
    const texts = Array.from({ length: 50 }, (_, i) => `request-${String(i).padStart(4, '0')}-end`);
    for (let round = 0; round < 3; round++) {
      for (const text of texts) expect(decode(text)).toBe(text);
    }
  });

  it('keeps ids that differ only in the middle cached side by side (every byte of <= 16 hashed)', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `req-${String(i).padStart(8, '0')}-end`);
    for (const id of ids) expect(decode(id)).toBe(id);
    const before = slowCalls;
    for (let round = 0; round < 3; round++) {
      for (const id of ids) expect(decode(id)).toBe(id);
    }
    expect(slowCalls - before).toBe(0);
  });

  it('tells apart same-length strings that differ in any one byte, at every length', () => {
    // The cache keeps three words of each string and compares the bytes between them; a change
    // at any position and any length must still miss.
    for (let n = 1; n <= SHORT_STRING_MAX; n++) {
      const base = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      expect(decode(base)).toBe(base);
      for (let at = 0; at < n; at++) {
        const changed = base.slice(0, at) + 'Z' + base.slice(at + 1);
        expect(decode(changed)).toBe(changed);
        expect(decode(base, 3)).toBe(base);
      }
    }
  });

  it('gives the same string as TextDecoder for any short input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
          fc.constantFrom('a', 'b', 'ab', 'ba', 'é', 'x'.repeat(SHORT_STRING_MAX)),
        ),
        (text) => {
          const bytes = encoder.encode(text);
          fc.pre(bytes.length >= 1 && bytes.length <= SHORT_STRING_MAX);
          expect(decode(text)).toBe(text);
        },
      ),
      { seed: 3, numRuns: 2000 },
    );
  });

  it('keeps invalid UTF-8 decoding identical to TextDecoder', () => {
    const buf = new Uint8Array([0xff, 0xfe, 0x41]);
    expect(decodeShortString(buf, 0, 3, slow)).toBe(decoder.decode(buf));
    expect(decodeShortString(buf, 0, 3, slow)).toBe('\uFFFD\uFFFDA');
  });
});
