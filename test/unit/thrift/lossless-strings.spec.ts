// Issue 11 item 4: Thrift `string` fields carry any bytes losslessly, as Go strings do.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createStructCodec } from '../../../lib/thrift/index.js';
import { field, struct, T } from './schema-helpers.js';
import { hex, unhex } from './hex.js';

const schema = struct('S', [
  field(1, 'short', T.string),
  field(2, 'long', T.string),
  field(3, 'names', T.list(T.string)),
  field(4, 'byName', T.map(T.string, T.string)),
]);

/** A struct of the schema's shape whose strings are the given bytes. */
function encodeRaw(shortBytes: Uint8Array, longBytes: Uint8Array): Uint8Array {
  const str = (id: number, bytes: Uint8Array) => [
    0x0b,
    0,
    id,
    ...[24, 16, 8, 0].map((s) => (bytes.length >>> s) & 0xff),
    ...bytes,
  ];
  const len = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff);
  return Uint8Array.from([
    ...str(1, shortBytes),
    ...str(2, longBytes),
    // list<string> of one element
    0x0f,
    0,
    3,
    0x0b,
    ...len(1),
    ...len(shortBytes.length),
    ...shortBytes,
    // map<string,string> of one entry
    0x0d,
    0,
    4,
    0x0b,
    0x0b,
    ...len(1),
    ...len(longBytes.length),
    ...longBytes,
    ...len(shortBytes.length),
    ...shortBytes,
    0,
  ]);
}

describe.each([
  ['compiled readers', {}],
  ['interpreter', { compileReaders: false }],
])('lossless Thrift strings (%s)', (_name, options) => {
  const codec = createStructCodec<Record<string, unknown>>(schema, options);

  it('returns the bytes of the issue exactly (6f6bfffec328eda080656e64)', () => {
    const raw = unhex('6f6bfffec328eda080656e64');
    const long = Uint8Array.from([...raw, ...raw, ...raw]);
    const bytes = encodeRaw(raw, long);
    const value = codec.decode(bytes);
    expect(hex(codec.encode(value))).toBe(hex(bytes));
  });

  it('round-trips arbitrary bytes, short and long, in fields, lists and maps', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 30 }),
        fc.uint8Array({ minLength: 25, maxLength: 300 }),
        (short, long) => {
          const bytes = encodeRaw(short, long);
          expect(hex(codec.encode(codec.decode(bytes)))).toBe(hex(bytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes valid UTF-8 as before, U+FFFD included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        const encoded = new TextEncoder().encode(text);
        const value = codec.decode(encodeRaw(encoded, encoded));
        expect(value['short']).toBe(text);
        expect(value['long']).toBe(text);
      }),
      { numRuns: 300 },
    );
    const replacement = new TextEncoder().encode('a\uFFFDb'.repeat(10));
    expect(codec.decode(encodeRaw(replacement, replacement))['long']).toBe('a\uFFFDb'.repeat(10));
  });

  it('writes a lone surrogate that is not an escape as U+FFFD, as TextEncoder does', () => {
    const value = { short: 'x\ud800y', long: 'z', names: [], byName: new Map() };
    const decoded = codec.decode(codec.encode(value));
    expect(decoded['short']).toBe('x\uFFFDy');
  });
});
