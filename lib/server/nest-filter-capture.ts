import { type ArgumentsHost } from '@nestjs/common';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { recordHiddenError } from './handler-error-store.js';
import { TTStreamContext } from './ttstream.context.js';

let installed = false;

/**
 * Lets telemetry see the error that Nest's default RPC exception filter hides. That filter turns
 * any non-`RpcException` into `{ status: 'error', message: 'Internal server error' }` inside the
 * handler Nest builds, before the transport sees the failure. A `@StreamPattern` handler carries
 * our interceptor, which records the original first; a `@MessagePattern` handler (unary, oneway)
 * or a guard has nothing of ours in between. So the filter's `catch` is wrapped once per process:
 * when its host is one of our calls (a `TTStreamContext`), the exception is recorded for that
 * call, then the filter runs unchanged. Other transports' calls are not touched, and neither is
 * what the client receives (the server reads the record for telemetry only).
 * @internal not covered by semver
 */
export function captureErrorsHiddenByNest(): void {
  if (installed) return;
  installed = true;
  const prototype = BaseRpcExceptionFilter.prototype as {
    catch(this: BaseRpcExceptionFilter, exception: unknown, host: ArgumentsHost): unknown;
  };
  // Called with the filter as `this`, as Nest calls it.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound below
  const original = prototype.catch;
  prototype.catch = function catchAndRecord(exception, host) {
    const context: unknown = host.getArgByIndex(1);
    if (context instanceof TTStreamContext) recordHiddenError(context, exception);
    return original.call(this, exception, host);
  };
}
