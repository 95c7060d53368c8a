import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createStructCodec } from '../../../lib/thrift/struct-codec.js';
import { ThriftDecodeError } from '../../../lib/thrift/thrift-errors.js';
import { structSchemaArbitrary, structValueArbitrary } from './arbitraries.js';
import { field, struct, T } from './schema-helpers.js';

const node = struct('Node', [
  field(1, 'name', T.string, 'required'),
  field(2, 'ids', T.list(T.i64)),
  field(3, 'attrs', T.map(T.string, T.set(T.i16))),
  field(4, 'blob', T.binary, 'optional'),
  field(5, 'ratio', T.double),
]);
node.fields.push(field(6, 'children', T.list(T.struct(node)), 'optional'));

function decodeOrTypedError(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof ThriftDecodeError)) throw error;
    expect(error.message).toMatch(/^\[ttstream error, code=12004\] /);
  }
}

describe('decoding untrusted bytes', () => {
  it('gives a value or ThriftDecodeError for random bytes', () => {
    const codec = createStructCodec(node, { maxDepth: 16 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        decodeOrTypedError(() => codec.decode(bytes));
      }),
      { seed: 99, numRuns: 3000 },
    );
  });

  it('gives a value or ThriftDecodeError for mutated valid messages', () => {
    const codec = createStructCodec(node, { maxDepth: 16 });
    const valid = codec.encode({
      name: 'root',
      ids: [1n, -2n],
      attrs: new Map([['a', [1, 2]]]),
      blob: new Uint8Array([9]),
      ratio: 0.5,
      children: [{ name: 'leaf', ids: [], attrs: new Map(), ratio: 1 }],
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat({ max: valid.length }),
        (edits, cut) => {
          const bytes = valid.slice(0, cut === 0 ? valid.length : cut);
          for (const [at, byte] of edits) if (at < bytes.length) bytes[at] = byte;
          decodeOrTypedError(() => codec.decode(bytes));
        },
      ),
      { seed: 5, numRuns: 3000 },
    );
  });

  it('gives a value or ThriftDecodeError for random schemas and truncated messages', () => {
    fc.assert(
      fc.property(
        structSchemaArbitrary(2).chain((schema) =>
          fc.tuple(fc.constant(schema), structValueArbitrary(schema), fc.nat()),
        ),
        ([schema, value, cut]) => {
          const codec = createStructCodec(schema);
          const bytes = codec.encode(value);
          decodeOrTypedError(() => codec.decode(bytes.subarray(0, cut % (bytes.length + 1))));
        },
      ),
      { seed: 17, numRuns: 300 },
    );
  });

  it('rejects a huge declared list of structs without allocating or looping', () => {
    const codec = createStructCodec(node);
    // children: list<struct> with 2^31-1 elements and 3 bytes of input left.
    const bytes = Buffer.from('0b000100000000' + '0f0006' + '0c' + '7fffffff' + '000000', 'hex');
    const started = Date.now();
    expect(() => codec.decode(bytes)).toThrow(/container size 2147483647 exceeds the 3 bytes left/);
    expect(Date.now() - started).toBeLessThan(100);
  });
});
