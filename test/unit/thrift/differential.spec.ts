import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createStructCodec } from '../../../lib/thrift/struct-codec.js';
import { apacheDecode, apacheEncode } from './apache-codec.js';
import { structSchemaArbitrary, structValueArbitrary } from './arbitraries.js';
import { hex } from './hex.js';

const cases = structSchemaArbitrary(2).chain((schema) =>
  // Apache's writeDouble writes -0 as +0 (we keep the sign bit, as Go does), so no -0 here.
  fc.tuple(fc.constant(schema), structValueArbitrary(schema, { noNegativeZero: true })),
);

describe('differential: Apache thrift TBinaryProtocol', () => {
  it('our bytes equal Apache bytes written in Kitex field order', () => {
    fc.assert(
      fc.property(cases, ([schema, value]) => {
        expect(hex(createStructCodec(schema).encode(value))).toBe(hex(apacheEncode(schema, value)));
      }),
      { seed: 314, numRuns: 300 },
    );
  });

  it('Apache decodes our bytes to the value we encoded', () => {
    fc.assert(
      fc.property(cases, ([schema, value]) => {
        expect(apacheDecode(schema, createStructCodec(schema).encode(value))).toEqual(value);
      }),
      { seed: 271, numRuns: 300 },
    );
  });

  it('we decode Apache bytes in declaration order to the value Apache encoded', () => {
    fc.assert(
      fc.property(cases, ([schema, value]) => {
        expect(
          createStructCodec(schema).decode(apacheEncode(schema, value, 'declaration')),
        ).toEqual(value);
      }),
      { seed: 161, numRuns: 300 },
    );
  });
});
