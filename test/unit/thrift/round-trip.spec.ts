import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createStructCodec } from '../../../lib/thrift/struct-codec.js';
import { type ThriftType } from '../../../lib/thrift/schema.js';
import { structSchemaArbitrary, structValueArbitrary, valueArbitrary } from './arbitraries.js';
import { field, struct, T } from './schema-helpers.js';

function roundTrip(type: ThriftType, value: unknown): unknown {
  const codec = createStructCodec<{ v: unknown }>(struct('Box', [field(1, 'v', type, 'required')]));
  return codec.decode(codec.encode({ v: value })).v;
}

describe('round trip', () => {
  it.each<[string, ThriftType]>([
    ['bool', T.bool],
    ['byte', T.byte],
    ['i16', T.i16],
    ['i32', T.i32],
    ['i64', T.i64],
    ['i64 as number', T.i64n],
    ['double', T.double],
    ['string', T.string],
    ['binary', T.binary],
    ['list<i64>', T.list(T.i64)],
    ['set<string>', T.set(T.string)],
    ['map<i32, binary>', T.map(T.i32, T.binary)],
    ['map<string, list<map<i16, double>>>', T.map(T.string, T.list(T.map(T.i16, T.double)))],
  ])('keeps every %s value', (_name, type) => {
    fc.assert(
      fc.property(valueArbitrary(type), (value) => {
        expect(roundTrip(type, value)).toEqual(value);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it.each<[string, ThriftType, unknown]>([
    ['i64 min', T.i64, -(2n ** 63n)],
    ['i64 max', T.i64, 2n ** 63n - 1n],
    ['i64 min safe number', T.i64n, Number.MIN_SAFE_INTEGER],
    ['i64 -1 number', T.i64n, -1],
    ['i32 min', T.i32, -(2 ** 31)],
    ['i32 max', T.i32, 2 ** 31 - 1],
    ['byte min', T.byte, -128],
    ['double NaN', T.double, NaN],
    ['double -0', T.double, -0],
    ['double -Infinity', T.double, -Infinity],
    ['double min subnormal', T.double, Number.MIN_VALUE],
    ['empty string', T.string, ''],
    ['non-ASCII string', T.string, 'héllo 🌍 \u0000 \uFEFF'],
    ['BOM-only string', T.string, '\uFEFF'],
    ['1 MiB string', T.string, 'x'.repeat(1 << 20)],
    ['1 MiB non-ASCII string', T.string, 'é'.repeat(1 << 19)],
    ['empty binary', T.binary, new Uint8Array(0)],
    ['empty list', T.list(T.string), []],
    ['empty set', T.set(T.i32), []],
    ['empty map', T.map(T.string, T.i32), new Map()],
    [
      'map with bigint keys',
      T.map(T.i64, T.string),
      new Map([
        [-1n, 'a'],
        [2n ** 40n, 'b'],
      ]),
    ],
    [
      'nested maps of lists',
      T.map(T.string, T.list(T.map(T.i32, T.list(T.string)))),
      new Map([
        ['a', [new Map([[1, ['x', 'y']]]), new Map()]],
        ['b', []],
      ]),
    ],
  ])('keeps %s', (_name, type, value) => {
    const out = roundTrip(type, value);
    expect(out).toEqual(value);
    if (typeof value === 'number') expect(Object.is(out, value)).toBe(true);
  });

  it('keeps the bit pattern of -0 and NaN on the wire', () => {
    const codec = createStructCodec(struct('D', [field(1, 'd', T.double)]));
    expect(Buffer.from(codec.encode({ d: -0 })).toString('hex')).toBe(
      '0400018000000000000000' + '00',
    );
    expect(Buffer.from(codec.encode({ d: NaN })).toString('hex')).toBe(
      '0400017ff8000000000000' + '00',
    );
  });

  it('returns a fresh array per encode (the reused writer never leaks into results)', () => {
    const codec = createStructCodec(struct('S', [field(1, 's', T.string)]));
    const first = codec.encode({ s: 'first' });
    const copy = first.slice();
    const second = codec.encode({ s: 'other!' });
    expect(first).toEqual(copy);
    // Small results may share a slab (as Node's pooled Buffers do), never the same bytes.
    const end = (a: Uint8Array) => a.byteOffset + a.byteLength;
    const apart =
      first.buffer !== second.buffer ||
      end(first) <= second.byteOffset ||
      end(second) <= first.byteOffset;
    expect(apart).toBe(true);
  });

  it('takes a Set for a set field and gives an array back', () => {
    expect(roundTrip(T.set(T.string), new Set(['a', 'b']))).toEqual(['a', 'b']);
  });

  it('decodes from a Buffer view with an offset into a plain Uint8Array copy', () => {
    const codec = createStructCodec<{ b: Uint8Array }>(struct('B', [field(1, 'b', T.binary)]));
    const bytes = codec.encode({ b: new Uint8Array([1, 2, 3]) });
    const backing = Buffer.alloc(bytes.length + 10, 0xee);
    backing.set(bytes, 5);
    const view = backing.subarray(5, 5 + bytes.length);
    const decoded = codec.decode(view);
    expect(decoded.b).toEqual(new Uint8Array([1, 2, 3]));
    expect(Buffer.isBuffer(decoded.b)).toBe(false);
    backing.fill(0);
    expect(decoded.b).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('keeps recursive structs', () => {
    const node = struct('Node', [field(1, 'value', T.i32)]);
    node.fields.push(field(2, 'children', T.list(T.struct(node))));
    node.fields.push(field(3, 'next', T.struct(node), 'optional'));
    const value = {
      value: 1,
      children: [
        { value: 2, children: [] },
        { value: 3, children: [], next: { value: 4, children: [] } },
      ],
    };
    const codec = createStructCodec(node);
    expect(codec.decode(codec.encode(value))).toEqual(value);
  });

  it('keeps random structs of random schemas', () => {
    fc.assert(
      fc.property(
        structSchemaArbitrary(2).chain((schema) =>
          fc.tuple(fc.constant(schema), structValueArbitrary(schema)),
        ),
        ([schema, value]) => {
          const codec = createStructCodec(schema);
          expect(codec.decode(codec.encode(value))).toEqual(value);
        },
      ),
      { seed: 2026, numRuns: 300 },
    );
  });
});
