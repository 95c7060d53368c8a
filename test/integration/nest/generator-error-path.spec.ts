import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type ArgumentsHost,
  type CallHandler,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UseFilters,
  UseInterceptors,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { catchError, lastValueFrom, type Observable, tap, throwError, toArray } from 'rxjs';
import { BizStatusError, StreamPattern, type TTStreamClient } from '../../../lib/index.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

/** A domain error that a filter maps to business error 42001. */
class OutOfStock extends Error {}

@Catch(OutOfStock)
class OutOfStockFilter implements ExceptionFilter {
  catch(exception: OutOfStock, _host: ArgumentsHost): Observable<never> {
    return throwError(() => new BizStatusError(42001, `out of stock: ${exception.message}`));
  }
}

/** Records what an interceptor around the handler sees. */
const seen: { messages: string[]; outcome: string[]; caught: string[] } = {
  messages: [],
  outcome: [],
  caught: [],
};

@Injectable()
class WatchInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      tap({
        next: (value: unknown) => {
          seen.messages.push((value as { message: string }).message);
        },
        complete: () => {
          seen.outcome.push('complete');
        },
        error: (error: unknown) => {
          seen.outcome.push(`error: ${(error as Error).message}`);
        },
      }),
      catchError((error: unknown) => {
        seen.caught.push((error as Error).constructor.name);
        return throwError(() => error);
      }),
    );
  }
}

interface Req {
  message: string;
  count: number;
}

@Controller()
@UseFilters(OutOfStockFilter)
@UseInterceptors(WatchInterceptor)
class ShopController {
  // Server streaming from an async generator that fails after two messages.
  @StreamPattern('TestService.ServerStreamWithErr')
  async *fromGenerator(@Payload() req: Req) {
    for (let index = 0; index < req.count; index++) yield { message: `g${index}`, index };
    throw new OutOfStock(req.message);
  }

  // The same failure from an Observable handler.
  @StreamPattern('TestService.EchoServer')
  fromObservable(@Payload() req: Req): Observable<unknown> {
    return throwError(() => new OutOfStock(req.message));
  }
}

describe('errors from async generators take the same path as any other handler error', () => {
  let app: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    app = await startServerApp({ controllers: [ShopController] }, { logger: false });
    client = clientFor(app.port);
  });
  afterAll(async () => {
    await client.close();
    await app.app.close();
  });

  const collect = async (pattern: string, req: object) => {
    const received: unknown[] = [];
    const error = await lastValueFrom(
      client.serverStream<object, { message: string }>(pattern, req).pipe(
        tap((res) => received.push(res.message)),
        toArray(),
      ),
    ).catch((e: unknown) => e);
    return { received, error };
  };

  it('a filter maps a generator error to business error 42001, after the messages before it', async () => {
    seen.messages.length = 0;
    seen.outcome.length = 0;
    seen.caught.length = 0;
    const { received, error } = await collect(
      'TestService.ServerStreamWithErr',
      request('socks', 2),
    );
    expect(received).toEqual(['g0', 'g1']);
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({ bizStatusCode: 42001, bizMessage: 'out of stock: socks' });
    // The interceptor saw each message, then the error (not a completion), in its catchError.
    expect(seen.messages).toEqual(['g0', 'g1']);
    expect(seen.outcome).toEqual(['error: socks']);
    expect(seen.caught).toEqual(['OutOfStock']);
  });

  it('the same error from an Observable handler gets the same answer', async () => {
    const { error } = await collect('TestService.EchoServer', request('socks'));
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({ bizStatusCode: 42001, bizMessage: 'out of stock: socks' });
  });

  it('a generator that ends normally completes in the interceptor after its last message', async () => {
    seen.messages.length = 0;
    seen.outcome.length = 0;
    @Controller()
    @UseInterceptors(WatchInterceptor)
    class Counting {
      @StreamPattern('TestService.EchoServer')
      async *count(@Payload() req: Req) {
        for (let index = 0; index < req.count; index++) yield { message: `c${index}`, index };
      }
    }
    const other = await startServerApp({ controllers: [Counting] }, { logger: false });
    const c = clientFor(other.port);
    try {
      const out = await lastValueFrom(
        c
          .serverStream<object, { message: string }>('TestService.EchoServer', request('x', 3))
          .pipe(toArray()),
      );
      expect(out.map((r) => r.message)).toEqual(['c0', 'c1', 'c2']);
      expect(seen.messages).toEqual(['c0', 'c1', 'c2']);
      expect(seen.outcome).toEqual(['complete']);
    } finally {
      await c.close();
      await other.app.close();
    }
  });
});
