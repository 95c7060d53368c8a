import {
  ApplicationException,
  BizStatusError,
  errorCodeCategory,
  isTTStreamErrorCode,
  RpcCallError,
  RpcCallErrorKind,
  ThriftException,
  TTStreamError,
} from '../errors/index.js';
import { type RpcOutcome } from './rpc-lifecycle.js';

/** The outcome of an RPC that succeeded. */
export const OK_OUTCOME: RpcOutcome = Object.freeze({ kind: 'ok' });

/**
 * The {@link RpcOutcome} an RPC that ended with `error` reports: one classification for the
 * server and the client, so that a tracer and a meter agree on what a failure was.
 */
export function outcomeOfError(error: unknown): RpcOutcome {
  if (error instanceof BizStatusError) {
    return {
      kind: 'biz-error',
      code: error.bizStatusCode,
      message: error.bizMessage,
      extra: error.bizExtra,
      error,
    };
  }
  if (error instanceof ApplicationException) {
    return exception(error, error.code, error.typeId, false, error.applicationMessage);
  }
  if (error instanceof TTStreamError) {
    const code = error.code;
    const category = isTTStreamErrorCode(code) ? errorCodeCategory(code) : 'protocol';
    if (category === 'canceled' || category === 'timeout') {
      return {
        kind: category === 'canceled' ? 'cancel' : 'timeout',
        code,
        message: error.message,
        canceledPath: error.canceledPath,
        error,
      };
    }
    return exception(error, code, undefined, false, error.message);
  }
  if (error instanceof RpcCallError) {
    if (
      error.kind === RpcCallErrorKind.RPCTimeout ||
      error.kind === RpcCallErrorKind.CanceledByBusiness
    ) {
      return {
        kind: error.kind === RpcCallErrorKind.RPCTimeout ? 'timeout' : 'cancel',
        code: undefined,
        message: error.message,
        canceledPath: undefined,
        error,
      };
    }
    return exception(error, undefined, undefined, false, error.message);
  }
  if (error instanceof ThriftException) {
    return exception(error, undefined, undefined, true, error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return exception(error, undefined, undefined, false, message);
}

/** The outcome of a call its caller abandoned (unsubscribed) before it ended. */
export function abandonedOutcome(): RpcOutcome {
  return {
    kind: 'cancel',
    code: undefined,
    message: 'the caller unsubscribed before the end',
    canceledPath: undefined,
    error: undefined,
  };
}

function exception(
  error: unknown,
  code: number | undefined,
  typeId: number | undefined,
  declared: boolean,
  message: string,
): RpcOutcome {
  const type =
    error instanceof ThriftException
      ? error.thriftName
      : error instanceof Error
        ? error.name
        : typeof error;
  return { kind: 'exception', code, typeId, declared, type, message, error };
}
