import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createStructCodec } from '../../../lib/thrift/struct-codec.js';
import { compileStructReader } from '../../../lib/thrift/struct-reader-compiler.js';
import { compileValuePlan } from '../../../lib/thrift/value-plan.js';
import { type StructSchema } from '../../../lib/thrift/schema.js';
import { structSchemaArbitrary, structValueArbitrary } from './arbitraries.js';
import { field, struct, T } from './schema-helpers.js';
import { unhex } from './hex.js';

/** What a decode gives: the value with its key order, or the error message. */
function outcome(decode: () => unknown): { value?: unknown; keys?: string[]; error?: string } {
  try {
    const value = decode();
    return { value, keys: Object.keys(value as object) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The compiled and the interpreting codec of `schema` agree on `bytes`. */
function expectSameDecoding(schema: StructSchema, bytes: Uint8Array): void {
  const compiled = createStructCodec(schema, { maxDepth: 8 });
  const interpreted = createStructCodec(schema, { maxDepth: 8, compileReaders: false });
  expect(outcome(() => compiled.decode(bytes))).toEqual(outcome(() => interpreted.decode(bytes)));
}

describe('compiled struct readers', () => {
  it('decode exactly like the interpreter: valid, truncated and mutated messages', () => {
    fc.assert(
      fc.property(
        structSchemaArbitrary(2).chain((schema) =>
          fc.tuple(
            fc.constant(schema),
            structValueArbitrary(schema),
            fc.nat(),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
          ),
        ),
        ([schema, value, cut, edits]) => {
          const valid = createStructCodec(schema).encode(value);
          expectSameDecoding(schema, valid);
          const bytes = valid.slice(0, cut % (valid.length + 1));
          for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte;
          expectSameDecoding(schema, bytes);
        },
      ),
      { seed: 23, numRuns: 1000 },
    );
  });

  it('decode random bytes exactly like the interpreter', () => {
    const tree = struct('Tree', [
      field(1, 'name', T.string, 'required'),
      field(2, 'weights', T.map(T.string, T.list(T.double))),
      field(3, 'note', T.string, 'optional'),
      field(4, 'level', T.i16, 'default', 3),
    ]);
    tree.fields.push(field(5, 'kids', T.list(T.struct(tree)), 'optional'));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        expectSameDecoding(tree, bytes);
      }),
      { seed: 31, numRuns: 2000 },
    );
  });

  it('are really compiled for an ordinary schema', () => {
    const schema = struct('S', [field(1, 'a', T.i32), field(2, 'b', T.string)]);
    const fields = schema.fields.map((f, i) => ({
      id: f.id,
      name: f.name,
      ttype: i === 0 ? 8 : 11,
      value: compileValuePlan(f.type, () => {
        throw new Error('no structs here');
      }),
      checkBit: 0,
    }));
    expect(typeof compileStructReader(fields, 0, () => undefined)).toBe('function');
  });

  it('keep field names as data: quotes, newlines and code in names do nothing', () => {
    const hostile = [
      `a"]; globalThis.__injected = 1; //`,
      "b'\n}); globalThis.__injected = 2; (function(){",
      'constructor',
      'with space',
      '名前',
    ];
    const schema = struct(
      'Hostile',
      hostile.map((name, i) => field(i + 1, name, T.i32)),
    );
    const codec = createStructCodec<Record<string, number>>(schema);
    const value = Object.fromEntries(hostile.map((name, i) => [name, i * 10]));
    const decoded = codec.decode(codec.encode(value));
    expect(decoded).toEqual(value);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect((globalThis as { __injected?: unknown }).__injected).toBeUndefined();
  });

  it('refuse to compile a hand-built schema whose field id is not an integer', () => {
    const plan = compileValuePlan(T.i32, () => {
      throw new Error('no structs here');
    });
    const injected = {
      id: '1: globalThis.__injected = 3; case 2' as unknown as number,
      name: 'x',
      ttype: 8,
      value: plan,
      checkBit: 0,
    };
    expect(compileStructReader([injected], 0, () => undefined)).toBeUndefined();
    expect(compileStructReader([{ ...injected, id: 1.5 }], 0, () => undefined)).toBeUndefined();
  });

  it('let the last field win when a hand-built schema repeats an id, like the interpreter', () => {
    const schema = struct('Twice', [field(1, 'first', T.i32), field(1, 'second', T.i32)]);
    const bytes = unhex('080001' + '00000007' + '00');
    expectSameDecoding(schema, bytes);
    expect(createStructCodec(schema).decode(bytes)).toEqual({ first: 0, second: 7 });
  });
});

describe('where code generation from strings is forbidden', () => {
  const original = globalThis.Function;
  afterEach(() => {
    globalThis.Function = original;
  });

  it('the codec falls back to interpreting the schema', () => {
    // What V8 does under --disallow-code-generation-from-strings or a CSP without unsafe-eval.
    globalThis.Function = function forbidden() {
      throw new EvalError('Code generation from strings disallowed for this context');
    } as unknown as FunctionConstructor;
    const schema = struct('Fallback', [field(1, 'n', T.i32, 'required'), field(2, 's', T.string)]);
    const codec = createStructCodec(schema);
    globalThis.Function = original;
    expect(codec.decode(codec.encode({ n: 5, s: 'ok' }))).toEqual({ n: 5, s: 'ok' });
    expect(() => codec.decode(unhex('00'))).toThrow(/Fallback\.n: required field is missing/);
  });
});
