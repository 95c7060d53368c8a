import { describe, expect, it } from '@jest/globals';
import {
  ApplicationException,
  BizStatusError,
  RpcCallError,
  RpcCallErrorKind,
  ThriftException,
  TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/errors/index.js';
import {
  abandonedOutcome,
  OK_OUTCOME,
  outcomeOfError,
} from '../../../lib/telemetry/rpc-outcome.js';

describe('outcomeOfError', () => {
  it('reads a business error as biz-error with its code, message and extra', () => {
    const error = new BizStatusError(404, 'no such user', { k: 'v' });
    expect(outcomeOfError(error)).toEqual({
      kind: 'biz-error',
      code: 404,
      message: 'no such user',
      extra: { k: 'v' },
      error,
    });
  });

  it('reads an ApplicationException as an exception with code 12001 and its type id', () => {
    const outcome = outcomeOfError(new ApplicationException(6, 'boom'));
    expect(outcome).toMatchObject({
      kind: 'exception',
      code: 12001,
      typeId: 6,
      declared: false,
      message: 'boom',
    });
  });

  it('reads ttstream cancel codes as cancel with the cancel path', () => {
    const error = new TTStreamError(TTStreamErrorCode.CanceledByUpstream, {
      canceledPath: ['a', 'b'],
    });
    expect(outcomeOfError(error)).toMatchObject({
      kind: 'cancel',
      code: 12010,
      canceledPath: ['a', 'b'],
    });
  });

  it('reads ttstream timeout codes as timeout', () => {
    expect(outcomeOfError(new TTStreamError(TTStreamErrorCode.StreamTimeout))).toMatchObject({
      kind: 'timeout',
      code: 12015,
    });
    expect(outcomeOfError(new TTStreamError(TTStreamErrorCode.RecvTimeout)).kind).toBe('timeout');
  });

  it('reads ttstream protocol codes as exceptions', () => {
    expect(outcomeOfError(new TTStreamError(TTStreamErrorCode.IllegalFrame))).toMatchObject({
      kind: 'exception',
      code: 12004,
    });
  });

  it('reads unary call timeouts and business cancels without a code', () => {
    expect(outcomeOfError(new RpcCallError(RpcCallErrorKind.RPCTimeout, 'x'))).toMatchObject({
      kind: 'timeout',
      code: undefined,
    });
    expect(
      outcomeOfError(new RpcCallError(RpcCallErrorKind.CanceledByBusiness, 'x')),
    ).toMatchObject({ kind: 'cancel', code: undefined });
    expect(outcomeOfError(new RpcCallError(RpcCallErrorKind.RemoteOrNetwork, 'x')).kind).toBe(
      'exception',
    );
  });

  it('marks IDL exceptions declared, with their IDL name as type', () => {
    const outcome = outcomeOfError(new ThriftException({ why: 'x' }, 'NotFound'));
    expect(outcome).toMatchObject({ kind: 'exception', declared: true, type: 'NotFound' });
  });

  it('reads anything else as an exception named by its class', () => {
    expect(outcomeOfError(new TypeError('bad'))).toMatchObject({
      kind: 'exception',
      type: 'TypeError',
      message: 'bad',
      code: undefined,
    });
    expect(outcomeOfError('text')).toMatchObject({ kind: 'exception', message: 'text' });
  });

  it('has fixed outcomes for success and an abandoned call', () => {
    expect(OK_OUTCOME).toEqual({ kind: 'ok' });
    expect(abandonedOutcome()).toMatchObject({ kind: 'cancel', error: undefined });
  });
});
