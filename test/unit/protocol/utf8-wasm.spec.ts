import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeUtf8, decodeUtf8Escaping, encodeUtf8 } from '../../../lib/protocol/utf8.js';
import { UTF8_ESCAPE_WASM_BASE64 } from '../../../lib/protocol/utf8-escape-wasm.js';
import { decodeUtf8Wasm, WASM_UTF8_MAX_BYTES } from '../../../lib/protocol/wasm-utf8-decoder.js';
import { compileUtf8EscapeWat } from '../../../tools/utf8-wasm-source.js';

/** Bytes rich in lead, continuation and never-valid bytes, runs of ASCII, and 4-byte sequences. */
const soup = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.constantFrom(0x41, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
      fc.constantFrom(
        [0xf0, 0x9f, 0x98, 0x80],
        [0xed, 0xa0, 0x80],
        [0xe4, 0xbd, 0xa0],
        [0xc3, 0xa9],
      ),
    ),
    { minLength: 20, maxLength: 400 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

describe('the WebAssembly header-string decoder', () => {
  it('is the compiled utf8-escape.wat (npm run gen:wasm keeps them equal)', async () => {
    const compiled = Buffer.from(await compileUtf8EscapeWat()).toString('base64');
    expect(UTF8_ESCAPE_WASM_BASE64).toBe(compiled);
  });

  it('runs here (Node with WebAssembly)', () => {
    expect(decodeUtf8Wasm(Uint8Array.of(0xff, 0x61), 0, 2)).toBe('\udcffa');
  });

  it('decodes every byte string exactly as the JavaScript decoder', () => {
    fc.assert(
      fc.property(soup, fc.nat({ max: 7 }), (bytes, pad) => {
        // At an offset inside a larger buffer, as header values are.
        const padded = new Uint8Array(bytes.length + 2 * pad).fill(0x7a);
        padded.set(bytes, pad);
        const expected = decodeUtf8Escaping(bytes, 0, bytes.length);
        expect(decodeUtf8Wasm(padded, pad, bytes.length)).toBe(expected);
        expect(decodeUtf8(padded, pad, bytes.length)).toBe(expected);
        expect(encodeUtf8(expected)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes well-formed text as TextDecoder does, and all-ASCII input too', () => {
    const text = 'héllo wörld, 你好, 😀 '.repeat(40);
    const bytes = new TextEncoder().encode(text);
    expect(decodeUtf8Wasm(bytes, 0, bytes.length)).toBe(text);
    const ascii = new TextEncoder().encode('x'.repeat(1001));
    expect(decodeUtf8Wasm(ascii, 0, ascii.length)).toBe('x'.repeat(1001));
  });

  it('grows its memory for a long value, and leaves one over the cap to JavaScript', () => {
    const long = Uint8Array.from({ length: 300_000 }, (_, i) => (i % 5 === 0 ? 0xff : 0x61));
    expect(decodeUtf8Wasm(long, 0, long.length)).toBe(decodeUtf8Escaping(long, 0, long.length));
    const over = new Uint8Array(WASM_UTF8_MAX_BYTES + 1).fill(0xff);
    expect(decodeUtf8Wasm(over, 0, over.length)).toBeUndefined();
    expect(decodeUtf8(over, 0, over.length)).toBe('\udcff'.repeat(over.length));
  });
});
