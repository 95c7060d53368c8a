import fc from 'fast-check';
import {
  type FieldRequiredness,
  type FieldSchema,
  type StructSchema,
  type ThriftType,
} from '../../../lib/thrift/schema.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Strings without lone surrogates (which UTF-8 cannot carry). */
const text = fc.string({ unit: 'grapheme', maxLength: 12 });

/** Options for the value arbitraries. */
export interface ValueOptions {
  /** Leave out -0 doubles (Apache thrift's writeDouble turns -0 into +0). */
  readonly noNegativeZero?: boolean;
}

/** Values of `type` in the codec's value mapping. */
export function valueArbitrary(type: ThriftType, opts: ValueOptions = {}): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'bool':
      return fc.boolean();
    case 'byte':
      return fc.integer({ min: -128, max: 127 });
    case 'i16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'i32':
    case 'enum':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'i64':
      return type.asNumber === true
        ? fc.maxSafeInteger()
        : fc.oneof(fc.bigInt({ min: I64_MIN, max: I64_MAX }), fc.constantFrom(I64_MIN, I64_MAX));
    case 'double':
      return opts.noNegativeZero === true
        ? fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity)).map((d) => d + 0)
        : fc.oneof(fc.double(), fc.constantFrom(-0, NaN, Infinity, -Infinity));
    case 'string':
      return text;
    case 'binary':
      return fc.uint8Array({ maxLength: 16 });
    case 'list':
    case 'set':
      return fc.array(valueArbitrary(type.element, opts), { maxLength: 4 });
    case 'map':
      return fc
        .array(fc.tuple(valueArbitrary(type.key, opts), valueArbitrary(type.value, opts)), {
          maxLength: 4,
        })
        .map((entries) => new Map(entries));
    case 'struct':
      return structValueArbitrary(type.struct, opts);
  }
}

/**
 * Values of a (non-recursive) struct: required and default fields always set, optional ones
 * sometimes, unions with exactly one field.
 */
export function structValueArbitrary(
  schema: StructSchema,
  opts: ValueOptions = {},
): fc.Arbitrary<Record<string, unknown>> {
  if (schema.kind === 'union') {
    return fc
      .constantFrom(...schema.fields)
      .chain((f) => valueArbitrary(f.type, opts).map((v) => ({ [f.name]: v })));
  }
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of schema.fields) {
    parts[f.name] = valueArbitrary(f.type, opts);
  }
  return fc.record(parts, {
    requiredKeys: schema.fields.filter((f) => f.requiredness !== 'optional').map((f) => f.name),
  });
}

const scalarType: fc.Arbitrary<ThriftType> = fc.constantFrom<ThriftType>(
  { kind: 'bool' },
  { kind: 'byte' },
  { kind: 'i16' },
  { kind: 'i32' },
  { kind: 'i64' },
  { kind: 'double' },
  { kind: 'string' },
  { kind: 'binary' },
  { kind: 'enum', enum: { name: 'E', members: [{ name: 'A', value: 0 }] } },
);

let structCounter = 0;

/** Random types: scalars, containers and nested structs, `depth` levels deep at most. */
export function typeArbitrary(depth: number): fc.Arbitrary<ThriftType> {
  if (depth <= 0) return scalarType;
  const inner = typeArbitrary(depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: scalarType },
    { weight: 1, arbitrary: inner.map((element): ThriftType => ({ kind: 'list', element })) },
    { weight: 1, arbitrary: inner.map((element): ThriftType => ({ kind: 'set', element })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(scalarType, inner)
        .map(([key, value]): ThriftType => ({ kind: 'map', key, value })),
    },
    {
      weight: 1,
      arbitrary: structSchemaArbitrary(depth - 1).map((struct): ThriftType => ({
        kind: 'struct',
        struct,
      })),
    },
  );
}

/** Random struct or union schemas with unique field ids and names. */
export function structSchemaArbitrary(depth: number): fc.Arbitrary<StructSchema> {
  return fc
    .record({
      union: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      fields: fc.uniqueArray(
        fc.record({
          id: fc.integer({ min: -5, max: 300 }),
          type: typeArbitrary(depth),
          requiredness: fc.constantFrom<FieldRequiredness>('required', 'optional', 'default'),
        }),
        { minLength: 1, maxLength: 6, selector: (f) => f.id },
      ),
    })
    .map(({ union, fields }) => {
      const n = structCounter++;
      return {
        name: `S${n}`,
        kind: union ? 'union' : 'struct',
        fields: fields.map((f, i): FieldSchema => ({
          id: f.id,
          name: `f${i}_${f.id < 0 ? `m${-f.id}` : String(f.id)}`,
          type: f.type,
          requiredness: union ? 'optional' : f.requiredness,
        })),
      };
    });
}
