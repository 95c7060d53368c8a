import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { callPacing } from './call-pacing.js';
import { recordHandlerError } from './handler-error-store.js';
import { expandPulledSources } from './pulled-observable.js';

/**
 * Added by `@StreamPattern` to every stream handler. It does two things:
 * - an AsyncIterable result (an `async *` handler) becomes an Observable of its messages, pulled
 *   one per completed write, so the interceptors around it, `catchError` and exception filters
 *   see each message, the generator's error and its end, as for an Observable handler;
 * - it records the error the handler (or a pipe, or an interceptor inside it) failed with, and
 *   rethrows it unchanged, so user filters still see the original. The server uses the record
 *   when Nest's default filter has replaced the error with `Internal server error`.
 */
export class TTStreamErrorCaptureInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const key: unknown = context.switchToRpc().getContext();
    return next.handle().pipe(
      expandPulledSources(callPacing(key)),
      catchError((error: unknown) => {
        recordHandlerError(key, error);
        return throwError(() => error);
      }),
    );
  }
}
