import { describe, expect, it } from '@jest/globals';
import { RpcException } from '@nestjs/microservices';
import {
  formatRpcCallMessage,
  isRpcCallError,
  RpcCallError,
  RpcCallErrorKind,
} from '../../../lib/errors/index.js';
import { goNetErrorText } from '../../../lib/transport/net-error-text.js';

describe('RpcCallError', () => {
  it("reads as Kitex's DetailedError", () => {
    expect(new RpcCallError(RpcCallErrorKind.RPCTimeout, 'timeout=1s, to=S').message).toBe(
      'rpc timeout: timeout=1s, to=S',
    );
    expect(formatRpcCallMessage(RpcCallErrorKind.RemoteOrNetwork, 'bad', true)).toBe(
      'remote or network error[remote]: bad',
    );
    expect(formatRpcCallMessage(RpcCallErrorKind.GetConnection, 'dial tcp a:1: x', false)).toBe(
      'remote or network error: get connection error: dial tcp a:1: x',
    );
  });

  it('is an RpcException that Nest passes through, with kind, detail and cause', () => {
    const cause = new Error('inner');
    const error = new RpcCallError(RpcCallErrorKind.CanceledByBusiness, 'd', { cause });
    expect(error).toBeInstanceOf(RpcException);
    expect(error.getError()).toBe(error);
    expect(error).toMatchObject({
      name: 'RpcCallError',
      kind: 'canceled by business',
      detail: 'd',
      remote: false,
    });
    expect(error.cause).toBe(cause);
    expect(error.isTimeout).toBe(false);
    expect(isRpcCallError(error)).toBe(true);
    expect(isRpcCallError(error, RpcCallErrorKind.RPCTimeout)).toBe(false);
    expect(isRpcCallError(new Error('x'))).toBe(false);
  });

  it("words socket errors as Go's net package does", () => {
    expect(
      goNetErrorText(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe('connect: connection refused');
    expect(
      goNetErrorText(Object.assign(new Error('x'), { code: 'ENOTFOUND', hostname: 'nope' })),
    ).toBe('lookup nope: no such host');
    expect(goNetErrorText(Object.assign(new Error('odd failure'), { code: 'EWHATEVER' }))).toBe(
      'odd failure',
    );
  });
});
