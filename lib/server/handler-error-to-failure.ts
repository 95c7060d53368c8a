import { HttpException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import {
  ApplicationException,
  BizStatusError,
  fromBizStatusError,
  TApplicationExceptionType,
  TTStreamError,
  asThriftException,
  type ThriftException,
} from '../errors/index.js';

/** How handler failures become trailers (see {@link handlerErrorToFailure}). */
export interface TTStreamExceptionMappingOptions {
  /**
   * `biz-status` (default): an `HttpException` (ValidationPipe's included) becomes a business
   * error whose code is the HTTP status. `application`: it becomes an ApplicationException.
   */
  readonly httpExceptions?: 'biz-status' | 'application';
  /**
   * Whether the message of a non-business error reaches the client (`biz error: <message>`, as
   * a Kitex server sends). Default true; false sends `biz error: Internal server error`.
   */
  readonly exposeErrorMessages?: boolean;
}

/** The text Nest's `BaseRpcExceptionFilter` puts in place of any non-`RpcException` error. */
export const NEST_UNKNOWN_ERROR_MESSAGE = 'Internal server error';

/**
 * The text of the `RpcException` Nest throws when a guard returns false (Nest's
 * `FORBIDDEN_MESSAGE`); it has no other mark, so the text identifies it.
 */
export const NEST_FORBIDDEN_MESSAGE = 'Forbidden resource';

/** The business error code of a guard's refusal, as Nest's `ForbiddenException` would give. */
export const FORBIDDEN_BIZ_STATUS = 403;

const HIDDEN = NEST_UNKNOWN_ERROR_MESSAGE;

/**
 * Translates what a handler failed with into the error the stream ends with: a
 * {@link BizStatusError} (sent as `biz-*` trailer keys), an {@link ApplicationException} (a
 * TApplicationException payload) or another {@link TTStreamError} (passed through).
 *
 * - our error classes and declared exceptions (`ThriftException`): unchanged;
 * - anything carrying `bizStatusCode`/`bizMessage` (an `RpcException` with such an object
 *   included): a business error;
 * - an `HttpException`: a business error with the HTTP status as code (see options);
 * - a guard that returned false (Nest's `RpcException('Forbidden resource')`, or the object
 *   Nest's default filter makes of it): business error 403 `Forbidden resource`;
 * - an `RpcException('text')`, Nest's `{ status: 'error', message }` or any other error: a
 *   TApplicationException of type 6 with message `biz error: <message>`, as Kitex does.
 */
export function handlerErrorToFailure(
  error: unknown,
  options: TTStreamExceptionMappingOptions = {},
): TTStreamError | BizStatusError | ThriftException {
  if (error instanceof TTStreamError || error instanceof BizStatusError) return error;
  // A declared IDL exception: a unary reply puts it in its result field (a stream cannot).
  const declared = asThriftException(error);
  if (declared !== undefined) return declared;
  if (isGuardRefusal(error))
    return new BizStatusError(FORBIDDEN_BIZ_STATUS, NEST_FORBIDDEN_MESSAGE);
  const wrapped = error instanceof RpcException ? error.getError() : undefined;
  if (wrapped instanceof TTStreamError || wrapped instanceof BizStatusError) return wrapped;
  const biz = fromBizStatusError(error);
  if (biz !== undefined) {
    return new BizStatusError(biz.bizStatusCode, biz.bizMessage, biz.bizExtra);
  }
  if (error instanceof HttpException && options.httpExceptions !== 'application') {
    return new BizStatusError(error.getStatus() | 0, httpExceptionMessage(error));
  }
  if (error instanceof RpcException) {
    const inner = error.getError();
    return internalError(
      typeof inner === 'string' ? inner : messageOf(inner, error.message),
      error,
      options,
    );
  }
  return internalError(messageOf(error, String(error)), error, options);
}

/**
 * The failure for what came out of Nest's exception-filter chain, given the original error the
 * handler threw (when `@StreamPattern`'s interceptor recorded one). Nest's default filter turns a
 * non-`RpcException` into `{ status: 'error', message: 'Internal server error' }`; in that case
 * the original is translated instead, so a plain `Error('test error')` reaches the client as
 * `biz error: test error`, as from a Kitex server.
 */
export function filteredErrorToFailure(
  filtered: unknown,
  original: { readonly error: unknown } | undefined,
  options: TTStreamExceptionMappingOptions = {},
): TTStreamError | BizStatusError | ThriftException {
  if (original !== undefined && isNestUnknownError(filtered)) {
    return handlerErrorToFailure(original.error, options);
  }
  return handlerErrorToFailure(filtered, options);
}

/** True for the exact object Nest's default filter emits for a non-`RpcException`. */
export function isNestUnknownError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  return (
    keys.length === 2 &&
    record['status'] === 'error' &&
    record['message'] === NEST_UNKNOWN_ERROR_MESSAGE
  );
}

/** A guard's `false`: Nest's RpcException, before or after its default filter. */
function isGuardRefusal(error: unknown): boolean {
  if (error instanceof RpcException) return error.getError() === NEST_FORBIDDEN_MESSAGE;
  if (typeof error !== 'object' || error === null || error instanceof Error) return false;
  const record = error as Record<string, unknown>;
  return (
    Object.keys(record).length === 2 &&
    record['status'] === 'error' &&
    record['message'] === NEST_FORBIDDEN_MESSAGE
  );
}

function internalError(
  message: string,
  cause: unknown,
  options: TTStreamExceptionMappingOptions,
): ApplicationException {
  const shown = options.exposeErrorMessages === false ? HIDDEN : message;
  return new ApplicationException(TApplicationExceptionType.InternalError, `biz error: ${shown}`, {
    side: 'server',
    cause,
  });
}

function messageOf(value: unknown, fallback: string): string {
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
  }
  return fallback;
}

function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  return messageOf(response, error.message);
}
