import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type ArgumentMetadata,
  type CallHandler,
  type CanActivate,
  Catch,
  Controller,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type PipeTransform,
  type RpcExceptionFilter,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { lastValueFrom, map, Observable, Subject, throwError, toArray } from 'rxjs';
import {
  BizStatusError,
  StreamPattern,
  type StreamPatternMetadata,
  TTSTREAM_METHOD_METADATA,
  type TTStreamClient,
  type TTStreamContext,
} from '../../../lib/index.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

interface Req {
  message: string;
  count: number;
}

const seen: {
  guardPattern?: string;
  guardMeta?: StreamPatternMetadata;
  filtered?: unknown;
  metainfo?: unknown;
  timeoutMs?: number;
} = {};

/** An async guard that checks a header after a delay (nestjs/nest#14094 scenario). */
@Injectable()
class SlowAuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ctx = context.switchToRpc().getContext<TTStreamContext>();
    seen.guardPattern = ctx.getPattern();
    seen.metainfo = ctx.getMetainfo();
    seen.timeoutMs = ctx.getTimeoutMs();
    seen.guardMeta = this.reflector.get<StreamPatternMetadata>(
      TTSTREAM_METHOD_METADATA,
      context.getHandler(),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    return ctx.getHeader('authorization') === 'Bearer ok';
  }
}

/** Upper-cases every response message. */
class UpperInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((r: { message: string; index: number }) => ({
        ...r,
        message: r.message.toUpperCase(),
      })),
    );
  }
}

/** Validates a server-streaming request. */
class CountPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if (meta.type !== 'body') return value;
    const req = value as Req;
    if (req.count > 10) throw new BizStatusError(400, 'count must be at most 10');
    return { ...req, message: `${req.message}!` };
  }
}

@Catch(BizStatusError)
class RewriteFilter implements RpcExceptionFilter<BizStatusError> {
  catch(exception: BizStatusError): Observable<never> {
    seen.filtered = exception;
    return throwError(
      () => new BizStatusError(exception.bizStatusCode + 1, `filtered: ${exception.bizMessage}`),
    );
  }
}

@Controller()
class PipelineController {
  @UseGuards(SlowAuthGuard)
  @UseInterceptors(new UpperInterceptor())
  @StreamPattern('TestService.Echo')
  echo(@Payload() requests: Observable<Req>): Observable<unknown> {
    return requests.pipe(map((r, index) => ({ message: r.message, index })));
  }

  @StreamPattern('TestService.EchoServer')
  echoServer(@Payload(new CountPipe()) req: Req): Observable<unknown> {
    return new Observable((sub) => {
      for (let index = 0; index < req.count; index++) sub.next({ message: req.message, index });
      sub.complete();
    });
  }

  @UseFilters(new RewriteFilter())
  @StreamPattern('TestService.ServerStreamWithErr')
  fails(@Ctx() ctx: TTStreamContext): never {
    ctx.setTrailer('x-filtered', 'yes');
    throw new BizStatusError(10, 'original');
  }
}

describe('guards, pipes, interceptors and filters on stream handlers', () => {
  let s: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    s = await startServerApp({ controllers: [PipelineController] });
    client = clientFor(s.port);
  });
  afterAll(async () => {
    await client.close();
    await s.app.close();
  });

  it('loses no request sent while an async guard runs (nestjs/nest#14094); interceptor maps output', async () => {
    const requests = new Subject<Req>();
    const out = lastValueFrom(
      client
        .bidiStream('TestService.Echo', requests, {
          headers: { authorization: 'Bearer ok' },
          metainfo: { transient: { tenant: 't1' }, persistent: { trace: 'abc' } },
          timeoutMs: 5000,
        })
        .pipe(toArray()),
    );
    // Sent at once, long before the guard lets the handler subscribe.
    for (const m of ['a', 'b', 'c']) requests.next(request(m));
    requests.complete();
    expect(await out).toEqual([
      { message: 'A', index: 0 },
      { message: 'B', index: 1 },
      { message: 'C', index: 2 },
    ]);
    expect(seen.guardPattern).toBe('TestService.Echo');
    expect(seen.metainfo).toEqual({ transient: { tenant: 't1' }, persistent: { trace: 'abc' } });
    expect(seen.timeoutMs).toBe(5000);
    expect(seen.guardMeta).toMatchObject({
      service: 'TestService',
      method: 'Echo',
      mode: undefined,
    });
  });

  it('a guard that denies ends the stream with business error 403 "Forbidden resource"', async () => {
    const error = await lastValueFrom(client.bidiStream('TestService.Echo', [request('a')])).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({ bizStatusCode: 403, bizMessage: 'Forbidden resource' });
  });

  it('pipes transform and validate the payload', async () => {
    const out = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('p', 2)).pipe(toArray()),
    );
    expect(out).toEqual([
      { message: 'p!', index: 0 },
      { message: 'p!', index: 1 },
    ]);
    const error = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('p', 11)),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ bizStatusCode: 400, bizMessage: 'count must be at most 10' });
  });

  it('method filters see the original and choose the trailer; ctx trailers survive', async () => {
    let trailer: Record<string, string> | undefined;
    const error = await lastValueFrom(
      client.serverStream('TestService.ServerStreamWithErr', request('x'), {
        onTrailer: (t) => (trailer = t),
      }),
    ).catch((e: unknown) => e);
    expect(seen.filtered).toMatchObject({ bizStatusCode: 10 });
    expect(error).toMatchObject({ bizStatusCode: 11, bizMessage: 'filtered: original' });
    expect(trailer).toMatchObject({ 'x-filtered': 'yes', 'biz-status': '11' });
  });
});
