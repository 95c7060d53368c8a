import { TTStreamError, TTStreamErrorCode, type StreamSide } from '../errors/index.js';
import { describeValue } from './to-error.js';

/** Go's `time.Duration.String()` for whole milliseconds: `200ms`, `1s`, `1.5s`, `1m30s`. */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  let text = '';
  if (hours > 0) text += `${hours}h`;
  if (hours > 0 || minutes > 0) text += `${minutes}m`;
  return `${text}${seconds}s`;
}

/** 12015 with Kitex's text `stream timeout, timeout in ctx: 1s`. */
export function streamTimeoutError(side: StreamSide, timeoutMs: number): TTStreamError {
  return new TTStreamError(TTStreamErrorCode.StreamTimeout, {
    side,
    detail: `stream timeout, timeout in ctx: ${goDuration(timeoutMs)}`,
  });
}

/** 12014 with Kitex's text `stream Recv timeout, timeout config={Timeout:200ms DisableCancelRemote:false}`. */
export function recvTimeoutError(timeoutMs: number, disableCancelRemote: boolean): TTStreamError {
  return new TTStreamError(TTStreamErrorCode.RecvTimeout, {
    side: 'client',
    detail: `stream Recv timeout, timeout config={Timeout:${goDuration(timeoutMs)} DisableCancelRemote:${disableCancelRemote}}`,
  });
}

/**
 * The local error of a client cancel: `cancel()` or an abort with the default `AbortError` ->
 * 12007; a `TimeoutError` abort (`AbortSignal.timeout`) -> 12015; a `TTStreamError` reason ->
 * itself with the client side; any other reason -> 12008 with the reason as cause.
 */
export function cancelError(reason: unknown, timeoutMs?: number): TTStreamError {
  if (reason === undefined || isDomError(reason, 'AbortError')) {
    return new TTStreamError(TTStreamErrorCode.BizCancel, { side: 'client', cause: reason });
  }
  if (isDomError(reason, 'TimeoutError')) {
    return timeoutMs === undefined
      ? new TTStreamError(TTStreamErrorCode.StreamTimeout, {
          side: 'client',
          detail: 'stream timeout, no explicit timeout set in stream ctx',
        })
      : streamTimeoutError('client', timeoutMs);
  }
  if (reason instanceof TTStreamError) {
    return new TTStreamError(reason.kind, {
      code: reason.code,
      side: 'client',
      detail: reason.detail,
      canceledPath: reason.canceledPath,
      cause: reason,
    });
  }
  return new TTStreamError(TTStreamErrorCode.BizCancelWithCause, {
    side: 'client',
    detail: `user code canceled with cancelCause(error): ${describeValue(reason)}`,
    cause: reason,
  });
}

/** Kitex `appendCancelPath`: `svc` alone, or `orig,svc` (also when `svc` is empty). */
export function appendCancelPath(orig: readonly string[] | undefined, svc: string): string[] {
  if (orig === undefined || orig.length === 0) return svc === '' ? [] : [svc];
  return [...orig, svc];
}

function isDomError(value: unknown, name: string): boolean {
  // Duck-typed: a DOMException may come from another realm.
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === name;
}

/**
 * The end reason of a server stream whose handler returned (what a late `recv()` or a child's
 * cascade sees). Every server stream makes one, and its stack trace (about 4 µs to capture)
 * would only point here. @internal
 */
export function handlerReturnedError(): TTStreamError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new TTStreamError(TTStreamErrorCode.CanceledByHandlerReturn, { side: 'server' });
  } finally {
    Error.stackTraceLimit = limit;
  }
}
