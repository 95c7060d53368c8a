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
