import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import {
  handlerErrorToFailure,
  type TTStreamExceptionMappingOptions,
} from './handler-error-to-failure.js';

/**
 * An exception filter that translates every error as the server does (see
 * `handlerErrorToFailure`), wherever it was thrown: in a guard, an interceptor, a pipe or the
 * handler. The server already does this for the handler, its pipes and its method interceptors
 * without any filter; register this one globally (`app.useGlobalFilters(new
 * TTStreamExceptionFilter())`) so that errors thrown by guards and outer interceptors that are not
 * `RpcException`s (a guard throwing `ForbiddenException`, say) keep their meaning instead of
 * reaching the client as Nest's `Internal server error`, and so that expected rejections (4xx,
 * business errors) are not logged by Nest's default filter. It logs nothing itself: the server
 * logs each failure that reaches the client as an ApplicationException, once, at ERROR.
 */
@Catch()
export class TTStreamExceptionFilter implements RpcExceptionFilter {
  constructor(private readonly options: TTStreamExceptionMappingOptions = {}) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const failure = handlerErrorToFailure(exception, this.options);
    return throwError(() => failure);
  }
}
