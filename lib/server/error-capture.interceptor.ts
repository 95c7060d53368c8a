import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { recordHandlerError } from './handler-error-store.js';

/**
 * Added by `@StreamPattern` to every stream handler. It records the error the handler (or a pipe,
 * or an interceptor inside it) failed with, and rethrows it unchanged, so user filters still see
 * the original. The server uses the record when Nest's default filter has replaced the error
 * with `Internal server error`.
 */
export class TTStreamErrorCaptureInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const key: unknown = context.switchToRpc().getContext();
    return next.handle().pipe(
      catchError((error: unknown) => {
        recordHandlerError(key, error);
        return throwError(() => error);
      }),
    );
  }
}
