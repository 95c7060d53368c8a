import { describe, expect, it } from '@jest/globals';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { type ArgumentsHost } from '@nestjs/common';
import { firstValueFrom, type Observable } from 'rxjs';
import { asThriftException, ThriftException } from '../../../lib/errors/thrift-exception.js';

class EchoException extends ThriftException {
  static override readonly thriftName = 'EchoException';
  declare code: number;
  declare message: string;
  constructor(fields: Partial<{ code: number; message: string }> = {}) {
    super(fields);
  }
}

class Oops extends ThriftException {
  static override readonly thriftName = 'base.Oops';
  declare code: number;
}

describe('ThriftException', () => {
  it('takes an IDL field named message as its message', () => {
    const error = new EchoException({ code: 42, message: 'declared failure' });
    expect(error.message).toBe('declared failure');
    expect(error.code).toBe(42);
    expect(error.name).toBe('EchoException');
    expect(error.thriftName).toBe('EchoException');
    expect(String(error)).toBe('EchoException: declared failure');
    expect(error.stack?.split('\n')[0]).toBe('EchoException: declared failure');
    expect(error).toBeInstanceOf(RpcException);
    expect(error).toBeInstanceOf(Error);
  });

  it('has only the given IDL fields as enumerable own properties', () => {
    const error = new EchoException({ code: 42, message: 'declared failure' });
    expect(Object.keys(error)).toEqual(['code', 'message']);
    expect(Object.fromEntries(Object.entries(new EchoException({ code: 1 })))).toEqual({ code: 1 });
    expect(Object.keys(new EchoException())).toEqual([]);
    // Later assignments to fields are fields too.
    const later = new EchoException({ code: 1 });
    later.code = 2;
    expect(Object.fromEntries(Object.entries(later))).toEqual({ code: 2 });
  });

  it('describes its fields when the IDL has no message field', () => {
    const error = new Oops({ code: 3, detail: 'x', big: 5n, data: new Uint8Array(2), list: [1] });
    expect(error.message).toBe(
      'base.Oops(code=3, detail="x", big=5n, data=<2 bytes>, list=[1 items])',
    );
    expect(error.name).toBe('Oops');
    expect(error.thriftName).toBe('base.Oops');
    expect(new EchoException({ code: 7 }).message).toBe('EchoException(code=7)');
  });

  it('takes fields named like Error properties as fields', () => {
    const cause = { inner: true };
    const error = new ThriftException({ name: 'n', stack: 's', cause }, 'Weird');
    expect(error.name).toBe('n');
    expect(error.stack).toBe('s');
    expect(error.cause).toBe(cause);
    expect(Object.fromEntries(Object.entries(error))).toEqual({ name: 'n', stack: 's', cause });
    // RpcException's own `error` is not a field unless given.
    expect(Object.keys(new ThriftException({}, 'X'))).toEqual([]);
    expect(Object.fromEntries(Object.entries(new ThriftException({ error: 'e' }, 'X')))).toEqual({
      error: 'e',
    });
  });

  it('names the generic exception from the argument, else the class', () => {
    expect(new ThriftException({}, 'Other').thriftName).toBe('Other');
    expect(new ThriftException().thriftName).toBe('ThriftException');
    expect(new ThriftException().name).toBe('ThriftException');
  });

  it('returns itself from getError, so Nest passes it through intact', async () => {
    const error = new EchoException({ code: 42, message: 'declared failure' });
    expect(error.getError()).toBe(error);
    const filtered = new BaseRpcExceptionFilter().catch(
      error,
      {} as ArgumentsHost,
    ) as Observable<unknown>;
    await expect(firstValueFrom(filtered)).rejects.toBe(error);
  });

  it('is found inside an RpcException by asThriftException', () => {
    const error = new EchoException({ code: 1 });
    expect(asThriftException(error)).toBe(error);
    expect(asThriftException(new RpcException(error))).toBe(error);
    expect(asThriftException(new RpcException('x'))).toBeUndefined();
    expect(asThriftException({ thriftName: 'EchoException' })).toBeUndefined();
  });
});
