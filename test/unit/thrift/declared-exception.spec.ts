import { describe, expect, it } from '@jest/globals';
import { RpcException } from '@nestjs/microservices';
import { ThriftException } from '../../../lib/errors/thrift-exception.js';
import {
  declaredExceptionField,
  exceptionClassMap,
  exceptionFromResult,
} from '../../../lib/thrift/declared-exception.js';
import { parseThriftIdl } from '../../../lib/thrift/parse-thrift-idl.js';
import { type UnaryMethodDescriptor } from '../../../lib/thrift/thrift-idl.js';

const idl = parseThriftIdl(`
struct Response { 1: string message }
exception EchoException {
  1: i32 code
  2: string message
}
exception Other { 1: string why }
exception Unused { 1: string x }
service S {
  Response UnaryWithErr(1: string s) throws (1: EchoException err, 2: Other other)
  void Plain()
}
`);

function method(name: string): UnaryMethodDescriptor {
  const m = idl.services.get('S')?.methods.get(name);
  if (m?.mode !== 'unary') throw new Error(name);
  return m;
}

// What generated code emits for the IDL above.
class EchoException extends ThriftException {
  static override readonly thriftName = 'EchoException';
  declare code: number;
  declare message: string;
  constructor(fields: Partial<{ code: number; message: string }> = {}) {
    super(fields);
  }
}

class Other extends ThriftException {
  static override readonly thriftName = 'Other';
  declare why: string;
}

describe('declaredExceptionField', () => {
  const m = method('UnaryWithErr');

  it('picks the throws field by the exception IDL name, with the IDL fields only', () => {
    const error = new EchoException({ code: 42, message: 'declared failure' });
    const found = declaredExceptionField(m, error);
    expect(found).toEqual({ name: 'err', value: { code: 42, message: 'declared failure' } });
    expect(Object.keys(found?.value ?? {})).toEqual(['code', 'message']);
    expect(
      m.resultCodec.decode(m.resultCodec.encode({ [found?.name ?? '']: found?.value })),
    ).toEqual({
      err: { code: 42, message: 'declared failure' },
    });
    expect(declaredExceptionField(m, new Other({ why: 'w' }))).toEqual({
      name: 'other',
      value: { why: 'w' },
    });
  });

  it('never encodes the description as a message field that was not given', () => {
    const found = declaredExceptionField(m, new EchoException({ code: 7 }));
    expect(found?.value).toEqual({ code: 7 });
    expect(m.resultCodec.decode(m.resultCodec.encode({ err: found?.value }))).toEqual({
      err: { code: 7, message: '' },
    });
  });

  it('matches a generic ThriftException by its thriftName and an RpcException carrying one', () => {
    expect(declaredExceptionField(m, new ThriftException({ why: 'x' }, 'Other'))?.name).toBe(
      'other',
    );
    const wrapped = new RpcException(new EchoException({ code: 1 }));
    expect(declaredExceptionField(m, wrapped)).toEqual({ name: 'err', value: { code: 1 } });
  });

  it('does not match other errors, undeclared exceptions or plain objects', () => {
    expect(declaredExceptionField(m, new ThriftException({ x: 'y' }, 'Unused'))).toBeUndefined();
    expect(declaredExceptionField(method('Plain'), new EchoException({ code: 1 }))).toBeUndefined();
    expect(declaredExceptionField(m, { thriftName: 'EchoException', code: 1 })).toBeUndefined();
    expect(declaredExceptionField(m, new Error('EchoException'))).toBeUndefined();
    expect(declaredExceptionField(m, new RpcException({ code: 1 }))).toBeUndefined();
    expect(declaredExceptionField(m, undefined)).toBeUndefined();
  });
});

describe('exceptionFromResult', () => {
  const m = method('UnaryWithErr');
  const classes = exceptionClassMap([EchoException, Other]);

  it('builds the registered class for the set throws field', () => {
    const error = exceptionFromResult(
      m,
      { err: { code: 42, message: 'declared failure' } },
      classes,
    );
    expect(error).toBeInstanceOf(EchoException);
    expect(error).toBeInstanceOf(RpcException);
    expect(error?.message).toBe('declared failure');
    expect((error as EchoException).code).toBe(42);
    expect(error?.thriftName).toBe('EchoException');
    const other = exceptionFromResult(m, { other: { why: 'w' } }, classes);
    expect(other).toBeInstanceOf(Other);
    expect((other as Other).why).toBe('w');
  });

  it('builds a generic ThriftException without registered classes', () => {
    const error = exceptionFromResult(
      m,
      m.resultCodec.decode(m.resultCodec.encode({ other: { why: 'w' } })),
    );
    expect(error?.constructor).toBe(ThriftException);
    expect(error?.thriftName).toBe('Other');
    expect(Object.fromEntries(Object.entries(error ?? {}))).toEqual({ why: 'w' });
    expect(error?.message).toBe('Other(why="w")');
    // The generic one goes back out through the same throws field.
    expect(declaredExceptionField(m, error)).toEqual({ name: 'other', value: { why: 'w' } });
  });

  it('is undefined for a success or an empty result', () => {
    expect(exceptionFromResult(m, { success: { message: 'ok' } }, classes)).toBeUndefined();
    expect(exceptionFromResult(m, {})).toBeUndefined();
    expect(exceptionFromResult(m, { err: null })).toBeUndefined();
    expect(exceptionFromResult(method('Plain'), {})).toBeUndefined();
  });
});

describe('exceptionClassMap', () => {
  it('maps classes by their static thriftName', () => {
    const map = exceptionClassMap([EchoException, Other]);
    expect([...map.keys()]).toEqual(['EchoException', 'Other']);
    expect(map.get('Other')).toBe(Other);
  });

  it('rejects a class without a static thriftName', () => {
    expect(() => exceptionClassMap([ThriftException])).toThrow(
      'ThriftException has no static thriftName (not a generated exception)',
    );
  });
});
