import { describe, expect, it } from '@jest/globals';
import { RpcException } from '@nestjs/microservices';
import {
  ApplicationException,
  BizStatusError,
  TApplicationExceptionType,
  TTStreamError,
  TTStreamErrorCode,
  errorCodeCategory,
  errorCodeText,
  formatTTStreamMessage,
  fromBizStatusError,
  isTTStreamError,
  isTTStreamErrorCode,
} from '../../../lib/errors/index.js';

describe('TTStreamError message format', () => {
  it('matches the CloudWeGo document example byte for byte', () => {
    const err = new TTStreamError(TTStreamErrorCode.CanceledByUpstream, {
      code: TTStreamErrorCode.BizCancel,
      side: 'server',
      canceledPath: ['ServiceA'],
      detail: errorCodeText(TTStreamErrorCode.BizCancel),
      remote: true,
    });
    expect(err.message).toBe(
      '[ttstream error, code=12007] [server-side stream] [canceled path: ServiceA] user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively',
    );
    expect(err.kind).toBe(12010);
    expect(err.code).toBe(12007);
    expect(err.category).toBe('canceled');
    expect(err.canceledPathValue).toBe('ServiceA');
    expect(err.remote).toBe(true);
  });

  const expectedTexts: Record<number, string> = {
    12001: 'application exception',
    12002: 'unexpected header frame',
    12003: 'illegal bizErr',
    12004: 'illegal frame',
    12005: 'illegal operation',
    12006: 'transport is closing',
    12007:
      'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively',
    12008: 'user code canceled with cancelCause(error)',
    12009: 'canceled by downstream',
    12010: 'canceled by upstream',
    12011: 'internal canceled',
    12012: 'canceled by business handler returning',
    12013: 'canceled by connection closed',
    12014: 'stream Recv timeout',
    12015: 'stream timeout',
  };
  const expectedCategory: Record<number, string> = {
    12001: 'application',
    12002: 'protocol',
    12003: 'protocol',
    12004: 'protocol',
    12005: 'protocol',
    12006: 'protocol',
    12007: 'canceled',
    12008: 'canceled',
    12009: 'canceled',
    12010: 'canceled',
    12011: 'canceled',
    12012: 'canceled',
    12013: 'canceled',
    12014: 'timeout',
    12015: 'timeout',
  };

  it.each(Object.values(TTStreamErrorCode))(
    'code %i has Kitex text, category and format',
    (code) => {
      expect(errorCodeText(code)).toBe(expectedTexts[code]);
      expect(errorCodeCategory(code)).toBe(expectedCategory[code]);
      expect(new TTStreamError(code).message).toBe(
        `[ttstream error, code=${code}] ${expectedTexts[code]}`,
      );
      expect(new TTStreamError(code, { side: 'client' }).message).toBe(
        `[ttstream error, code=${code}] [client-side stream] ${expectedTexts[code]}`,
      );
      expect(
        new TTStreamError(code, { side: 'server', canceledPath: ['A', 'B', 'C'] }).message,
      ).toBe(
        `[ttstream error, code=${code}] [server-side stream] [canceled path: A -> B -> C] ${expectedTexts[code]}`,
      );
    },
  );

  it('covers exactly the fifteen codes', () => {
    expect(Object.values(TTStreamErrorCode).sort()).toEqual(
      Array.from({ length: 15 }, (_, i) => 12001 + i),
    );
    expect(isTTStreamErrorCode(12000)).toBe(false);
    expect(isTTStreamErrorCode(12016)).toBe(false);
    expect(isTTStreamErrorCode(12009)).toBe(true);
  });

  it('formats empty cancel path segments as Kitex does ("A," -> "A -> ")', () => {
    expect(formatTTStreamMessage(12012, undefined, ['A', ''], 'x')).toBe(
      '[ttstream error, code=12012] [canceled path: A -> ] x',
    );
    expect(formatTTStreamMessage(12012, undefined, [''], 'x')).toBe(
      '[ttstream error, code=12012] [canceled path: ] x',
    );
  });

  it('uses the detail text for dynamic messages such as timeouts', () => {
    const err = new TTStreamError(TTStreamErrorCode.StreamTimeout, {
      side: 'client',
      detail: 'stream timeout, timeout in ctx: 1s',
    });
    expect(err.message).toBe(
      '[ttstream error, code=12015] [client-side stream] stream timeout, timeout in ctx: 1s',
    );
    expect(err.category).toBe('timeout');
  });

  it('passes Nest RpcException handling intact and keeps its cause', () => {
    const cause = new Error('socket hang up');
    const err = new TTStreamError(TTStreamErrorCode.TransportClosing, { cause });
    expect(err).toBeInstanceOf(RpcException);
    expect(err).toBeInstanceOf(Error);
    expect(err.getError()).toBe(err);
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('TTStreamError');
    expect(isTTStreamError(err)).toBe(true);
    expect(isTTStreamError(err, TTStreamErrorCode.IllegalFrame)).toBe(false);
    expect(isTTStreamError(new Error('x'))).toBe(false);
  });
});

describe('ApplicationException', () => {
  it('is a 12001 TTStreamError carrying the type id and peer message', () => {
    const err = new ApplicationException(
      TApplicationExceptionType.InternalError,
      'biz error: test error',
      {
        side: 'client',
        remote: true,
      },
    );
    expect(err).toBeInstanceOf(TTStreamError);
    expect(err.message).toBe(
      '[ttstream error, code=12001] [client-side stream] biz error: test error',
    );
    expect(err.code).toBe(12001);
    expect(err.typeId).toBe(6);
    expect(err.applicationMessage).toBe('biz error: test error');
    expect(err.name).toBe('ApplicationException');
  });

  it('names every TApplicationException type id', () => {
    expect(TApplicationExceptionType).toEqual({
      Unknown: 0,
      UnknownMethod: 1,
      InvalidMessageType: 2,
      WrongMethodName: 3,
      BadSequenceId: 4,
      MissingResult: 5,
      InternalError: 6,
      ProtocolError: 7,
      InvalidTransform: 8,
      InvalidProtocol: 9,
      UnsupportedClientType: 10,
      UnknownService: 20,
      NoServiceName: 21,
    });
  });
});

describe('BizStatusError', () => {
  it('carries code, message and extra with Kitex Error() text', () => {
    const err = new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' });
    expect(err.bizStatusCode).toBe(10001);
    expect(err.bizMessage).toBe('insufficient user balance');
    expect(err.bizExtra).toEqual({ testKey: 'testVal' });
    expect(err.message).toBe('biz error: code=10001, msg=insufficient user balance');
    expect(err).toBeInstanceOf(RpcException);
    expect(err.getError()).toBe(err);
  });

  it('keeps "no extra" distinct from an empty extra', () => {
    expect(new BizStatusError(1, 'm').bizExtra).toBeUndefined();
    expect(new BizStatusError(1, 'm', {}).bizExtra).toEqual({});
  });

  it('rejects codes outside int32', () => {
    expect(() => new BizStatusError(2 ** 31, 'm')).toThrow(RangeError);
    expect(() => new BizStatusError(1.5, 'm')).toThrow(RangeError);
    expect(new BizStatusError(-(2 ** 31), 'm').bizStatusCode).toBe(-(2 ** 31));
  });
});

describe('fromBizStatusError', () => {
  it('finds a BizStatusError directly and through a cause chain', () => {
    const biz = new BizStatusError(404, 'not found');
    expect(fromBizStatusError(biz)).toBe(biz);
    expect(fromBizStatusError(new Error('wrapped', { cause: biz }))).toBe(biz);
  });

  it('reads an RpcException carrying a biz status object', () => {
    const status = fromBizStatusError(
      new RpcException({ bizStatusCode: 7, bizMessage: 'seven', bizExtra: { a: 'b' } }),
    );
    expect(status).toEqual({ bizStatusCode: 7, bizMessage: 'seven', bizExtra: { a: 'b' } });
  });

  it('returns undefined for anything else, including cycles', () => {
    expect(fromBizStatusError(new Error('plain'))).toBeUndefined();
    expect(fromBizStatusError('text')).toBeUndefined();
    expect(fromBizStatusError({ bizStatusCode: 2 ** 40 })).toBeUndefined();
    const a: { cause?: unknown } = {};
    a.cause = a;
    expect(fromBizStatusError(a)).toBeUndefined();
  });
});
