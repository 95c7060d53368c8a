import { describe, expect, it } from '@jest/globals';
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import {
  ApplicationException,
  BizStatusError,
  TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/errors/index.js';
import {
  filteredErrorToFailure,
  handlerErrorToFailure,
  isNestUnknownError,
} from '../../../lib/server/handler-error-to-failure.js';

const NEST_UNKNOWN = { status: 'error', message: 'Internal server error' };

describe('handlerErrorToFailure (DESIGN.md policy 1)', () => {
  it('passes our error classes through unchanged', () => {
    const biz = new BizStatusError(1, 'x');
    const app = new ApplicationException(1, 'unknown method X');
    const tt = new TTStreamError(TTStreamErrorCode.IllegalOperation);
    expect(handlerErrorToFailure(biz)).toBe(biz);
    expect(handlerErrorToFailure(app)).toBe(app);
    expect(handlerErrorToFailure(tt)).toBe(tt);
    expect(handlerErrorToFailure(new RpcException(biz))).toBe(biz);
  });

  it('biz status objects (RpcException payload, cause chain) become BizStatusError', () => {
    const fromRpc = handlerErrorToFailure(
      new RpcException({ bizStatusCode: 7, bizMessage: 'm', bizExtra: { k: 'v' } }),
    );
    expect(fromRpc).toBeInstanceOf(BizStatusError);
    expect(fromRpc).toMatchObject({ bizStatusCode: 7, bizMessage: 'm', bizExtra: { k: 'v' } });
    const plain = handlerErrorToFailure({ bizStatusCode: 9, bizMessage: 'filtered' });
    expect(plain).toMatchObject({ bizStatusCode: 9, bizMessage: 'filtered' });
    const caused = handlerErrorToFailure(
      new Error('wrap', { cause: new BizStatusError(3, 'inner') }),
    );
    expect(caused).toMatchObject({ bizStatusCode: 3 });
  });

  it('HttpException: biz error with the HTTP status (or an application exception)', () => {
    expect(handlerErrorToFailure(new ForbiddenException('no'))).toMatchObject({
      bizStatusCode: 403,
      bizMessage: 'no',
    });
    const validation = new BadRequestException([
      'message must be a string',
      'count must be positive',
    ]);
    expect(handlerErrorToFailure(validation)).toMatchObject({
      bizStatusCode: 400,
      bizMessage: 'message must be a string; count must be positive',
    });
    expect(
      handlerErrorToFailure(new ForbiddenException('no'), { httpExceptions: 'application' }),
    ).toMatchObject({
      typeId: 6,
      applicationMessage: 'biz error: no',
    });
  });

  it.each([
    [new Error('test error'), 'biz error: test error'],
    [new RpcException('rpc text'), 'biz error: rpc text'],
    [{ status: 'error', message: 'Forbidden resource', extra: 1 }, 'biz error: Forbidden resource'],
    [new RpcException('Forbidden resources'), 'biz error: Forbidden resources'],
    [NEST_UNKNOWN, 'biz error: Internal server error'],
    ['a string', 'biz error: a string'],
    [42, 'biz error: 42'],
  ])('anything else is ApplicationException 6: %p', (error, message) => {
    const failure = handlerErrorToFailure(error);
    expect(failure).toBeInstanceOf(ApplicationException);
    expect(failure).toMatchObject({ typeId: 6, applicationMessage: message, side: 'server' });
  });

  it('exposeErrorMessages: false hides the text', () => {
    expect(
      handlerErrorToFailure(new Error('secret'), { exposeErrorMessages: false }),
    ).toMatchObject({
      applicationMessage: 'biz error: Internal server error',
    });
  });
});

describe('filteredErrorToFailure', () => {
  it("translates the captured original when Nest's default filter hid it", () => {
    expect(filteredErrorToFailure(NEST_UNKNOWN, { error: new Error('test error') })).toMatchObject({
      applicationMessage: 'biz error: test error',
    });
    expect(
      filteredErrorToFailure(NEST_UNKNOWN, { error: new ForbiddenException('x') }),
    ).toMatchObject({
      bizStatusCode: 403,
    });
  });

  it('uses what the filters produced otherwise', () => {
    const biz = new BizStatusError(5, 'from a filter');
    expect(filteredErrorToFailure(biz, { error: new Error('orig') })).toBe(biz);
    expect(
      filteredErrorToFailure({ status: 'error', message: 'rpc text' }, undefined),
    ).toMatchObject({ applicationMessage: 'biz error: rpc text' });
  });

  it("makes a guard's refusal business error 403, before and after Nest's default filter", () => {
    for (const refusal of [
      new RpcException('Forbidden resource'),
      { status: 'error', message: 'Forbidden resource' },
    ]) {
      const failure = filteredErrorToFailure(refusal, undefined);
      expect(failure).toBeInstanceOf(BizStatusError);
      expect(failure).toMatchObject({ bizStatusCode: 403, bizMessage: 'Forbidden resource' });
    }
  });

  it('recognises only the exact default object', () => {
    expect(isNestUnknownError(NEST_UNKNOWN)).toBe(true);
    expect(isNestUnknownError({ ...NEST_UNKNOWN, extra: 1 })).toBe(false);
    expect(isNestUnknownError(new Error('Internal server error'))).toBe(false);
  });
});
