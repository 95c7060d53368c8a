import { ApplicationException, TApplicationExceptionType } from '../errors/index.js';
import { type RpcOutcome } from '../telemetry/rpc-lifecycle.js';
import { outcomeOfError } from '../telemetry/rpc-outcome.js';

/**
 * The original error a handler (or a pipe or method interceptor) failed with, keyed by the
 * handler's context object (its second argument). Nest's default exception filter replaces a
 * non-`RpcException` error with `{ status: 'error', message: 'Internal server error' }`; the
 * server looks the original up here to translate it the way Kitex would.
 * @internal not covered by semver
 */
const captured = new WeakMap<object, { readonly error: unknown }>();

/** Records `error` as the latest failure seen for the call whose context is `key`. @internal */
export function recordHandlerError(key: unknown, error: unknown): void {
  if (typeof key === 'object' && key !== null) captured.set(key, { error });
}

/** The recorded failure for `key`, or undefined when none was recorded. @internal */
export function capturedHandlerError(key: object): { readonly error: unknown } | undefined {
  return captured.get(key);
}

/**
 * Errors that Nest's default exception filter replaced with `Internal server error` where no
 * interceptor of ours saw them first (a `@MessagePattern` handler, a guard), keyed likewise.
 * Telemetry only: what the client receives does not change.
 */
const hidden = new WeakMap<object, { readonly error: unknown }>();

/** Records `error`, about to be hidden by Nest's default filter, for the call of `key`. @internal */
export function recordHiddenError(key: object, error: unknown): void {
  hidden.set(key, { error });
}

/** The error Nest's default filter hid for `key`, if it hid one. @internal */
export function hiddenHandlerError(key: object): { readonly error: unknown } | undefined {
  return hidden.get(key);
}

/** Failures translated from a handler's own error, mapped to that error, for telemetry. */
const reported = new WeakMap<object, unknown>();

/**
 * Telemetry reports `failure` (`biz error: <message>`, an ApplicationException made of a
 * handler's plain error) with `original`, the error the handler threw: see
 * {@link reportedOutcome}.
 * @internal
 */
export function reportFailureAs(failure: unknown, original: unknown): void {
  const translated =
    failure instanceof ApplicationException &&
    failure.typeId === TApplicationExceptionType.InternalError;
  if (translated && original !== undefined && original !== failure) {
    reported.set(failure, original);
  }
}

/**
 * The outcome telemetry reports for a call that failed with `error`. For the translation of a
 * handler's own error it reads as a Kitex server's span does (fixtures D32): the status
 * `biz error: <the handler's message>` with the translation's code, and the handler's error
 * itself (its class, message and stack) as the exception, also when Nest's default filter sent
 * the client `Internal server error`.
 * @internal
 */
export function reportedOutcome(error: unknown): RpcOutcome {
  const outcome = outcomeOfError(error);
  if (outcome.kind !== 'exception' || typeof error !== 'object' || error === null) return outcome;
  if (!reported.has(error)) return outcome;
  const original = reported.get(error);
  const text = original instanceof Error ? original.message : String(original);
  return {
    ...outcome,
    type: original instanceof Error ? original.name : typeof original,
    message: `biz error: ${text}`,
    error: original,
  };
}
