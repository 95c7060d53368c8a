import { describe, expect, it } from '@jest/globals';
import { createIdlFromDocument, idlToDocument } from '../../../lib/thrift/idl-document.js';
import { parseThriftIdl } from '../../../lib/thrift/parse-thrift-idl.js';
import { ThriftIdlError } from '../../../lib/thrift/thrift-errors.js';
import {
  type StreamingMethodDescriptor,
  type ThriftIdl,
  type UnaryMethodDescriptor,
} from '../../../lib/thrift/thrift-idl.js';
import { hex } from './hex.js';

const IDL = `
struct Request {
  1: string message
  2: i64 userId
  3: i32 count
}
struct Response {
  1: string message
  2: i32 index
}
exception EchoException {
  1: i32 code
  2: string message
}
exception Other {
  1: string why
}
enum Kind { A = 1, B = 2 }

service TestService {
  Response Echo(1: Request req) (streaming.mode = "bidirectional")
  Response EchoUnary(1: Request req)
  Response UnaryWithErr(1: Request req) throws (1: EchoException err, 2: Other other)
  oneway void Notify(1: Request req)
  i64 Sum(1: string label, 3: list<i32> values, 2: bool flag, 4: Kind kind) (api.get = "/sum")
  void Touch(1: i32 id) throws (1: EchoException err)
  void Nothing()
  i32 Count(1: i64 big (js.type = "number"), 2: optional Request req)
}
`;

function load(source = IDL): ThriftIdl {
  return parseThriftIdl(source, { fileName: 'echo.thrift' });
}

function unary(idl: ThriftIdl, method: string): UnaryMethodDescriptor {
  const m = idl.services.get('TestService')?.methods.get(method);
  if (m?.mode !== 'unary') throw new Error(`${method} is not unary`);
  return m;
}

function loadError(source: string): ThriftIdlError {
  try {
    load(source);
  } catch (error) {
    if (error instanceof ThriftIdlError) return error;
    throw error;
  }
  throw new Error('expected a ThriftIdlError');
}

describe('unary method descriptors', () => {
  const idl = load();

  it('lists parameters in IDL order with ids, names and types', () => {
    const sum = unary(idl, 'Sum');
    expect(sum.params.map((p) => [p.id, p.name, p.type.kind])).toEqual([
      [1, 'label', 'string'],
      [3, 'values', 'list'],
      [2, 'flag', 'bool'],
      [4, 'kind', 'enum'],
    ]);
    expect(sum.returnType).toEqual({ kind: 'i64' });
    expect(sum.returnsVoid).toBe(false);
    expect(sum.throws).toEqual([]);
    expect(sum.oneway).toBe(false);
    expect(sum.annotations).toEqual({ 'api.get': '/sum' });
    // No single struct argument, no struct result: no bare struct codecs.
    expect(sum.requestType).toBeUndefined();
    expect(sum.responseCodec).toBeUndefined();
  });

  it('describes throws entries by field and exception struct', () => {
    const m = unary(idl, 'UnaryWithErr');
    expect(m.throws.map((t) => [t.id, t.name, t.struct.name, t.struct.kind])).toEqual([
      [1, 'err', 'EchoException', 'exception'],
      [2, 'other', 'Other', 'exception'],
    ]);
    expect(m.throws[0]?.struct).toBe(idl.structs.get('EchoException'));
    expect(m.requestType).toBe(idl.structs.get('Request'));
    expect(m.responseType).toBe(idl.structs.get('Response'));
  });

  it('synthesizes the args and result structs', () => {
    const m = unary(idl, 'UnaryWithErr');
    expect(m.argsType).toEqual({
      name: 'TestService.UnaryWithErr_args',
      kind: 'struct',
      fields: [
        {
          id: 1,
          name: 'req',
          type: { kind: 'struct', struct: m.requestType },
          requiredness: 'default',
        },
      ],
    });
    expect(m.resultType.name).toBe('TestService.UnaryWithErr_result');
    expect(m.resultType.fields.map((f) => [f.id, f.name, f.requiredness])).toEqual([
      [0, 'success', 'optional'],
      [1, 'err', 'optional'],
      [2, 'other', 'optional'],
    ]);
  });

  it('makes oneway and void methods void, with no success field', () => {
    const notify = unary(idl, 'Notify');
    expect(notify.oneway).toBe(true);
    expect(notify.returnsVoid).toBe(true);
    expect(notify.returnType).toBeUndefined();
    expect(notify.throws).toEqual([]);
    expect(notify.resultType.fields).toEqual([]);
    const touch = unary(idl, 'Touch');
    expect(touch.oneway).toBe(false);
    expect(touch.resultType.fields.map((f) => f.name)).toEqual(['err']);
    expect(unary(idl, 'Nothing').params).toEqual([]);
  });

  it('keeps streaming descriptors as they were (bare struct codecs, no args/result)', () => {
    const echo = idl.services.get('TestService')?.methods.get('Echo') as StreamingMethodDescriptor;
    expect(echo.mode).toBe('bidirectional');
    expect(Object.keys(echo).sort()).toEqual(
      [
        'annotations',
        'mode',
        'name',
        'requestCodec',
        'requestType',
        'responseCodec',
        'responseType',
        'service',
      ].sort(),
    );
    const value = { message: 'hi', userId: 5n, count: 3 };
    // The ttstream payload is the bare struct: fixed-length fields first.
    expect(hex(echo.requestCodec.encode(value))).toBe(
      '0a0002000000000000000508000300000003' + '0b0001000000026869' + '00',
    );
  });
});

describe('args codecs', () => {
  const idl = load();

  it('wraps a struct argument in its field (EchoUnary_args)', () => {
    const codec = unary(idl, 'EchoUnary').argsCodec;
    const args = { req: { message: 'hi', userId: 5n, count: 3 } };
    const bytes = codec.encode(args);
    expect(hex(bytes)).toBe(
      '0c0001' + '0a0002000000000000000508000300000003' + '0b0001000000026869' + '00' + '00',
    );
    expect(codec.decode(bytes)).toEqual(args);
  });

  it('round-trips several non-struct parameters, fixed-length ones written first', () => {
    const codec = unary(idl, 'Sum').argsCodec;
    const args = { label: 'x', values: [1, -2], flag: true, kind: 2 };
    const bytes = codec.encode(args);
    expect(hex(bytes)).toBe(
      '020002' +
        '01' + // flag (bool, fixed-length)
        '0b0001' +
        '00000001' +
        '78' + // label
        '0f0003' +
        '08' +
        '00000002' +
        '00000001' +
        'fffffffe' + // values
        '080004' +
        '00000002' + // kind (enums count as variable-length)
        '00',
    );
    expect(codec.decode(bytes)).toEqual(args);
  });

  it('honours parameter annotations and requiredness', () => {
    const codec = unary(idl, 'Count').argsCodec;
    expect(codec.decode(codec.encode({ big: 7 }))).toEqual({ big: 7 });
    const bytes = codec.encode({ big: 7, req: { message: '', userId: 0n, count: 1 } });
    expect(codec.decode(bytes)).toEqual({ big: 7, req: { message: '', userId: 0n, count: 1 } });
  });

  it('encodes a method without parameters as an empty struct', () => {
    const codec = unary(idl, 'Nothing').argsCodec;
    expect(hex(codec.encode({}))).toBe('00');
    expect(codec.decode(new Uint8Array([0]))).toEqual({});
  });
});

describe('result codecs', () => {
  const idl = load();

  it('puts a non-struct return value in field 0', () => {
    const codec = unary(idl, 'Sum').resultCodec;
    const bytes = codec.encode({ success: 42n });
    expect(hex(bytes)).toBe('0a0000' + '000000000000002a' + '00');
    expect(codec.decode(bytes)).toEqual({ success: 42n });
    const count = unary(idl, 'Count').resultCodec;
    expect(hex(count.encode({ success: 0 }))).toBe('080000' + '00000000' + '00');
    expect(count.decode(count.encode({ success: 0 }))).toEqual({ success: 0 });
  });

  it('puts a struct return value in field 0', () => {
    const codec = unary(idl, 'EchoUnary').resultCodec;
    const result = { success: { message: 'ok', index: 1 } };
    expect(hex(codec.encode(result))).toBe(
      '0c0000' + '080002' + '00000001' + '0b0001' + '00000002' + '6f6b' + '00' + '00',
    );
    expect(codec.decode(codec.encode(result))).toEqual(result);
  });

  it('puts a declared exception in its throws field, leaving success unset', () => {
    const codec = unary(idl, 'UnaryWithErr').resultCodec;
    const result = { err: { code: 42, message: 'declared failure' } };
    const bytes = codec.encode(result);
    expect(hex(bytes)).toBe(
      '0c0001' +
        '080001' +
        '0000002a' +
        '0b0002' +
        '00000010' +
        Buffer.from('declared failure').toString('hex') +
        '00' +
        '00',
    );
    expect(codec.decode(bytes)).toEqual(result);
    expect(codec.decode(codec.encode({ other: { why: 'w' } }))).toEqual({ other: { why: 'w' } });
  });

  it('encodes a void success as an empty struct and decodes a void exception', () => {
    const touch = unary(idl, 'Touch').resultCodec;
    expect(hex(touch.encode({}))).toBe('00');
    expect(touch.decode(new Uint8Array([0]))).toEqual({});
    const failed = touch.encode({ err: { code: 1, message: 'm' } });
    expect(touch.decode(failed)).toEqual({ err: { code: 1, message: 'm' } });
    expect(hex(unary(idl, 'Notify').resultCodec.encode({}))).toBe('00');
  });

  it('skips a success field sent for a void method', () => {
    const touch = unary(idl, 'Touch').resultCodec;
    expect(touch.decode(new Uint8Array([0x08, 0, 0, 0, 0, 0, 7, 0]))).toEqual({});
  });
});

describe('the generated schema data gives the same unary codecs', () => {
  it('round-trips params, return types and throws through idlToDocument', () => {
    const idl = load();
    const doc = idlToDocument(idl);
    // Plain data, as a generated file holds it.
    const again = createIdlFromDocument(structuredClone(doc));
    for (const name of [
      'EchoUnary',
      'UnaryWithErr',
      'Notify',
      'Sum',
      'Touch',
      'Nothing',
      'Count',
    ]) {
      const a = unary(idl, name);
      const b = unary(again, name);
      expect(b.params.map((p) => p.name)).toEqual(a.params.map((p) => p.name));
      expect(b.oneway).toBe(a.oneway);
      expect(b.returnsVoid).toBe(a.returnsVoid);
      expect(b.throws.map((t) => [t.id, t.name, t.struct.name])).toEqual(
        a.throws.map((t) => [t.id, t.name, t.struct.name]),
      );
      expect(b.resultType.fields.map((f) => [f.id, f.name, f.requiredness])).toEqual(
        a.resultType.fields.map((f) => [f.id, f.name, f.requiredness]),
      );
      expect(b.annotations).toEqual(a.annotations);
    }
    const args = { label: 'x', values: [1], flag: false, kind: 1 };
    expect(unary(again, 'Sum').argsCodec.encode(args)).toEqual(
      unary(idl, 'Sum').argsCodec.encode(args),
    );
    const result = { err: { code: 3, message: 'm' } };
    expect(unary(again, 'UnaryWithErr').resultCodec.encode(result)).toEqual(
      unary(idl, 'UnaryWithErr').resultCodec.encode(result),
    );
    expect(
      unary(again, 'Count').argsCodec.decode(unary(idl, 'Count').argsCodec.encode({ big: 9 })),
    ).toEqual({ big: 9 });
  });
});

describe('unary method checks in the loader', () => {
  const head = 'struct R { 1: string s }\nexception E { 1: string m }\n';

  it('rejects a throws type that is not an exception', () => {
    const error = loadError(`${head}service S {\n  R M(1: R r) throws (1: R bad)\n}`);
    expect(error.message).toBe('echo.thrift:4: method S.M: throws field bad is not an exception');
  });

  it('rejects a oneway method that returns a value or throws', () => {
    expect(loadError(`${head}service S {\n  oneway R M(1: R r)\n}`).problem).toBe(
      'oneway method S.M must return void and declare no throws',
    );
    expect(loadError(`${head}service S {\n  oneway void M(1: R r) throws (1: E e)\n}`).line).toBe(
      4,
    );
  });

  it('rejects duplicate parameter ids and names, and a throws field clashing with success', () => {
    expect(loadError(`${head}service S {\n  void M(1: R a, 1: R b)\n}`).problem).toBe(
      'method S.M: duplicate parameter id 1',
    );
    expect(loadError(`${head}service S {\n  void M(1: R a, 2: R a)\n}`).problem).toBe(
      'method S.M: duplicate parameter a',
    );
    expect(loadError(`${head}service S {\n  R M() throws (0: E e)\n}`).problem).toBe(
      'method S.M: throws field e (id 0) clashes with success',
    );
    expect(loadError(`${head}service S {\n  R M() throws (1: E success)\n}`).problem).toContain(
      'clashes with success',
    );
    // A void method has no success field: id 0 is free.
    expect(() => load(`${head}service S {\n  void M() throws (0: E e)\n}`)).not.toThrow();
  });

  it('keeps the streaming checks and their texts', () => {
    expect(
      loadError(`${head}service S {\n  R M(1: R a, 2: R b) (streaming.mode = "server")\n}`).problem,
    ).toBe('streaming method S.M must have exactly one argument, has 2');
    expect(
      loadError(`${head}service S {\n  R M(1: string a) (streaming.mode = "server")\n}`).problem,
    ).toBe('streaming method S.M: the argument must be a struct');
    expect(
      loadError(`${head}service S {\n  void M(1: R a) (streaming.mode = "server")\n}`).problem,
    ).toBe('streaming method S.M: the result must be a struct');
  });

  it('numbers parameters without ids from -1 down, as struct fields', () => {
    const idl = load(`${head}service TestService {\n  void M(R a, R b)\n}`);
    expect(unary(idl, 'M').params.map((p) => [p.id, p.name])).toEqual([
      [-1, 'a'],
      [-2, 'b'],
    ]);
  });
});
