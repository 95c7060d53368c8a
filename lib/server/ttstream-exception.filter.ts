import {
  type ArgumentsHost,
  Catch,
  HttpException,
  Logger,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { BizStatusError, TTStreamError } from '../errors/index.js';
import {
  handlerErrorToFailure,
  type TTStreamExceptionMappingOptions,
} from './handler-error-to-failure.js';

/**
 * An exception filter that translates every error as DESIGN.md's policy 1 says (see
 * `handlerErrorToFailure`), wherever it was thrown: in a guard, an interceptor, a pipe or the
 * handler. The server already does this for the handler, its pipes and its method interceptors
 * without any filter; register this one globally (`app.useGlobalFilters(new
 * TTStreamExceptionFilter())`) so that errors thrown by guards and outer interceptors that are not
 * `RpcException`s (a guard throwing `ForbiddenException`, say) keep their meaning instead of
 * reaching the client as Nest's `Internal server error`.
 */
@Catch()
export class TTStreamExceptionFilter implements RpcExceptionFilter {
  private static readonly logger = new Logger('TTStreamExceptionFilter');

  constructor(private readonly options: TTStreamExceptionMappingOptions = {}) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const failure = handlerErrorToFailure(exception, this.options);
    if (!isExpected(exception)) TTStreamExceptionFilter.logger.error(exception);
    return throwError(() => failure);
  }
}

function isExpected(exception: unknown): boolean {
  return (
    exception instanceof TTStreamError ||
    exception instanceof BizStatusError ||
    exception instanceof HttpException
  );
}
