import { describe, expect, it } from '@jest/globals';
import { join, resolve } from 'node:path';
import { loadThriftIdl, loadThriftIdlFromSource } from '../../../lib/idl/index.js';
import { ThriftIdlError } from '../../../lib/thrift/thrift-errors.js';
import { type StructSchema } from '../../../lib/thrift/schema.js';

const FIXTURES = resolve('test/fixtures/thrift');
const fixture = (name: string): string => join(FIXTURES, name);

function idlError(fn: () => unknown): ThriftIdlError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ThriftIdlError) return error;
    throw error;
  }
  throw new Error('expected a ThriftIdlError');
}

function fieldsOf(schema: StructSchema | undefined): unknown[] {
  return (schema?.fields ?? []).map((f) => [f.id, f.name, f.type.kind, f.requiredness]);
}

describe('loadThriftIdl: a file with every construct', () => {
  const idl = loadThriftIdl(fixture('all-types.thrift'));

  it('lists structs, unions and exceptions, with included ones qualified', () => {
    expect([...idl.structs.keys()].sort()).toEqual(
      ['Choice', 'Everything', 'Inner', 'Oops', 'base.Base'].sort(),
    );
    expect(idl.structs.get('Choice')?.kind).toBe('union');
    expect(idl.structs.get('Oops')?.kind).toBe('exception');
    expect(idl.structs.get('Everything')?.annotations).toEqual({ 'struct.anno': 'everything' });
    expect(fieldsOf(idl.structs.get('base.Base'))).toEqual([
      [1, 'logId', 'string', 'default'],
      [2, 'extra', 'map', 'optional'],
    ]);
  });

  it('resolves field types, typedefs, requiredness, defaults and annotations', () => {
    const everything = idl.structs.get('Everything');
    const byName = new Map(everything?.fields.map((f) => [f.name, f]));
    expect(byName.get('aBool')).toMatchObject({
      requiredness: 'required',
      annotations: { 'api.query': 'b' },
    });
    expect(byName.get('aI64')?.type).toEqual({ kind: 'i64' });
    expect(byName.get('aSmallI64')?.type).toEqual({ kind: 'i64', asNumber: true });
    expect(byName.get('plainI64')?.type).toEqual({ kind: 'i64', asNumber: true });
    expect(byName.get('names')?.type).toEqual({ kind: 'list', element: { kind: 'string' } });
    expect(byName.get('aI16')?.defaultValue).toBe(-3);
    expect(byName.get('aI32')?.defaultValue).toBe(16);
    expect(byName.get('aDouble')?.defaultValue).toBe(-1500);
    expect(byName.get('aString')?.defaultValue).toBe('hello');
    expect(byName.get('aColor')?.defaultValue).toBe(16);
    expect(byName.get('aList')?.defaultValue).toEqual([2, 3, 5, 7]);
    const recursive = byName.get('recursive')?.type;
    expect(recursive?.kind === 'struct' && recursive.struct).toBe(everything);
    const aliased = byName.get('aliased')?.type;
    expect(aliased?.kind === 'struct' && aliased.struct).toBe(idl.structs.get('Inner'));
    const base = byName.get('base')?.type;
    expect(base?.kind === 'struct' && base.struct).toBe(idl.structs.get('base.Base'));
    const choice = idl.structs.get('Choice');
    expect(choice?.fields.every((f) => f.requiredness === 'optional')).toBe(true);
  });

  it('takes negative and hex enum values', () => {
    // (thrift-parser 2.0 cannot scan a negative hex literal such as -0x10.)
    const idl = loadThriftIdlFromSource('enum E { A = -16, B, C = 0x10, D }');
    expect(idl.enums.get('E')?.members.map((m) => m.value)).toEqual([-16, -15, 16, 17]);
  });

  it('numbers enum members as Thrift does', () => {
    expect(idl.enums.get('Color')?.members).toEqual([
      { name: 'RED', value: 1 },
      { name: 'GREEN', value: 2 },
      { name: 'BLUE', value: 16 },
    ]);
  });

  it('evaluates consts of every kind', () => {
    const value = (name: string): unknown => idl.consts.get(name)?.value;
    expect(value('MAX_ITEMS')).toBe(16);
    expect(value('BIG')).toBe(2n ** 63n - 1n);
    expect(value('RATIO')).toBe(-1500);
    expect(value('GREETING')).toBe('hello');
    expect(value('PRIMES')).toEqual([2, 3, 5, 7]);
    expect(value('GROUPS')).toEqual(
      new Map([
        ['a', [1, 2]],
        ['b', []],
      ]),
    );
    expect(value('FAVOURITE')).toBe(2);
    expect(value('DEFAULT_INNER')).toEqual({ label: 'inner', flag: true });
    expect(value('ALIAS_OF_MAX')).toBe(16);
  });

  it('lists typedefs resolved', () => {
    expect(idl.typedefs.get('Id')).toEqual({ kind: 'i64' });
    expect(idl.typedefs.get('SmallId')).toEqual({ kind: 'i64', asNumber: true });
    expect(idl.typedefs.get('InnerAlias')).toEqual({
      kind: 'struct',
      struct: idl.structs.get('Inner'),
    });
  });

  it('keeps namespaces of the root file', () => {
    expect(idl.namespaces.get('go')).toBe('alltypes');
    expect(idl.namespaces.get('java')).toBe('com.example.alltypes');
  });

  it('gives each method its streaming mode and codecs; inherits extended methods', () => {
    const service = idl.services.get('AllService');
    const modes = [...(service?.methods.values() ?? [])].map((m) => [m.name, m.mode, m.service]);
    expect(modes).toEqual([
      ['Ping', 'server', 'base.BaseService'],
      ['Bidi', 'bidirectional', 'AllService'],
      ['ClientSide', 'client', 'AllService'],
      ['ServerSide', 'server', 'AllService'],
      ['Plain', 'unary', 'AllService'],
      ['ExplicitUnary', 'unary', 'AllService'],
      ['Fire', 'unary', 'AllService'],
      ['Count', 'unary', 'AllService'],
    ]);
    const bidi = service?.methods.get('Bidi');
    expect(bidi?.annotations).toEqual({ 'streaming.mode': 'bidirectional', 'api.post': '/bidi' });
    expect(bidi?.requestType).toBe(idl.structs.get('Everything'));
    const count = service?.methods.get('Count');
    expect(count?.mode === 'unary' && count.requestCodec).toBeUndefined();
    const fire = service?.methods.get('Fire');
    expect(fire?.mode === 'unary' && fire.oneway).toBe(true);
    expect(fire?.requestType).toBe(idl.structs.get('Inner'));
    expect(fire?.responseType).toBeUndefined();
  });

  it('encodes and decodes with the method codecs, applying IDL defaults', () => {
    const method = idl.services.get('AllService')?.methods.get('Bidi');
    if (method === undefined || method.mode === 'unary') throw new Error('no streaming method');
    const decoded = method.requestCodec.decode(
      method.requestCodec.encode({ aBool: true }),
    ) as Record<string, unknown>;
    expect(decoded).toMatchObject({
      aBool: true,
      aI16: -3,
      aI32: 16,
      aI64: 0n,
      aSmallI64: 0,
      aString: 'hello',
      aColor: 16,
      aList: [2, 3, 5, 7],
      aMap: new Map(),
      anInner: {},
    });
  });
});

describe('loadThriftIdl: includes', () => {
  it('follows an include chain through a subdirectory', () => {
    const idl = loadThriftIdl(fixture('chain_top.thrift'));
    expect([...idl.structs.keys()].sort()).toEqual([
      'Top',
      'chain_bottom.Bottom',
      'chain_middle.Middle',
    ]);
    expect(idl.enums.get('chain_bottom.Level')?.members.map((m) => m.value)).toEqual([1, 2]);
    const middle = idl.structs.get('chain_middle.Middle');
    const bottom = middle?.fields[0]?.type;
    expect(bottom?.kind === 'struct' && bottom.struct).toBe(idl.structs.get('chain_bottom.Bottom'));
  });

  it('searches includeDirs after the including file directory', () => {
    const source = 'include "chain_bottom.thrift"\nstruct S { 1: chain_bottom.Bottom b }';
    const idl = loadThriftIdlFromSource(source, {
      fileName: fixture('inline.thrift'),
      includeDirs: [fixture('sub')],
    });
    expect(idl.structs.has('chain_bottom.Bottom')).toBe(true);
  });
});

describe('loadThriftIdl: errors carry file and line', () => {
  it.each([
    ['an unknown type', 'struct A {\n  1: string a\n  2: Missing b\n}', 3, 'unknown type Missing'],
    [
      'a streaming method with two arguments',
      'struct R {}\nservice S {\n  R M(1: R a, 2: R b) (streaming.mode="server")\n}',
      3,
      'streaming method S.M must have exactly one argument, has 2',
    ],
    [
      'a streaming method with no argument',
      'struct R {}\nservice S {\n  R M() (streaming.mode="client")\n}',
      3,
      'streaming method S.M must have exactly one argument, has 0',
    ],
    [
      'a streaming method with a non-struct argument',
      'struct R {}\nservice S {\n  R M(1: string a) (streaming.mode="client")\n}',
      3,
      'streaming method S.M: the argument must be a struct',
    ],
    [
      'a streaming method returning void',
      'struct R {}\nservice S {\n\n  void M(1: R a) (streaming.mode="bidirectional")\n}',
      4,
      'streaming method S.M: the result must be a struct',
    ],
    [
      'an unknown streaming.mode',
      'struct R {}\nservice S {\n  R M(1: R a) (streaming.mode="both")\n}',
      3,
      'method S.M: unknown streaming.mode "both" (expected bidirectional, client, server or unary)',
    ],
    [
      'a syntax error',
      'struct A {\n  1: string a\n  2: \n}',
      4,
      'FieldType expected but found: RightBraceToken',
    ],
    [
      'a duplicate field id',
      'struct A {\n  1: string a\n  1: string b\n}',
      3,
      'duplicate field id 1 in A',
    ],
    ['a duplicate definition', 'struct A {}\n\nenum A { X }', 3, 'duplicate definition A'],
    ['an unknown constant', 'const i32 X = Y.Z', 1, 'unknown constant or enum value Y.Z'],
    ['a constant out of range', 'const byte X = 300', 1, '300 is out of range for byte'],
    ['a typedef cycle', 'typedef A B\ntypedef B A', 1, 'typedef B refers to itself'],
    ['an enum value beyond i32', 'enum E {\n  A = 0x80000000\n}', 2, 'enum value A is not an i32'],
  ])('reports %s', (_name, source, line, problem) => {
    const error = idlError(() => loadThriftIdlFromSource(source, { fileName: 'inline.thrift' }));
    expect(error.file).toBe('inline.thrift');
    expect(error.line).toBe(line);
    expect(error.problem).toBe(problem);
    expect(error.message).toBe(`inline.thrift:${line}: ${problem}`);
  });

  it('reports cyclic includes with the chain', () => {
    const error = idlError(() => loadThriftIdl(fixture('cycle-a.thrift')));
    expect(error.file).toBe(fixture('cycle-b.thrift'));
    expect(error.line).toBe(2);
    expect(error.problem).toBe(
      `cyclic include: ${fixture('cycle-a.thrift')} -> ${fixture('cycle-b.thrift')} -> ${fixture('cycle-a.thrift')}`,
    );
  });

  it('reports a missing include at its line', () => {
    const error = idlError(() => loadThriftIdl(fixture('missing-include.thrift')));
    expect(error.file).toBe(fixture('missing-include.thrift'));
    expect(error.line).toBe(3);
    expect(error.problem).toBe('cannot find include "does-not-exist.thrift"');
  });

  it('reports a missing file with line 0', () => {
    const error = idlError(() => loadThriftIdl(fixture('nope.thrift')));
    expect(error.file).toBe(fixture('nope.thrift'));
    expect(error.line).toBe(0);
    expect(error.problem).toMatch(/^cannot read the IDL file \(ENOENT/);
  });
});
