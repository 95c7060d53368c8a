import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  finalize,
  interval,
  lastValueFrom,
  map,
  NEVER,
  type Observable,
  take,
  toArray,
} from 'rxjs';
import {
  TTStreamError,
  TTStreamErrorCode,
  StreamPattern,
  type TTStreamClient,
  type TTStreamContext,
} from '../../../lib/index.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';
import { latch, waitFor } from '../../helpers/wait.js';

interface Req {
  message: string;
  count: number;
}

/** What the handlers observed, per request message. */
const events = new Map<string, { finalized: boolean; abortReason?: unknown }>();
function track(ctx: TTStreamContext, key: string) {
  const entry: { finalized: boolean; abortReason?: unknown } = { finalized: false };
  events.set(key, entry);
  ctx.signal.addEventListener('abort', () => {
    entry.abortReason = ctx.signal.reason as unknown;
  });
  return finalize<unknown>(() => {
    entry.finalized = true;
  });
}

let downstream: TTStreamClient | undefined;

@Controller()
class SlowController {
  /** Endless (count 0) or `count` messages 20 ms apart. */
  @StreamPattern('TestService.EchoServer')
  ticks(@Payload() req: Req, @Ctx() ctx: TTStreamContext): Observable<unknown> {
    const ticks = interval(20).pipe(map((index) => ({ message: req.message, index })));
    const source = req.count > 0 ? ticks.pipe(take(req.count)) : req.count < 0 ? NEVER : ticks;
    return source.pipe(track(ctx, req.message));
  }

  /** Answers the first request, then returns while the client still streams. */
  @StreamPattern('TestService.Echo')
  first(@Payload() requests: Observable<Req>): Observable<unknown> {
    return requests.pipe(
      take(1),
      map((r) => ({ message: r.message, index: 0 })),
    );
  }

  /** Calls `downstream` EchoServer and never answers; a cancel must cascade to the call. */
  @StreamPattern('TestService.ServerStreamWithErr')
  relay(@Payload() req: Req, @Ctx() ctx: TTStreamContext): Observable<unknown> {
    void lastValueFrom(
      downstream!.serverStream('TestService.EchoServer', request(req.message, 0)),
    ).catch(() => undefined);
    return NEVER.pipe(track(ctx, `relay-${req.message}`));
  }
}

describe('cancellation, timeouts and graceful close', () => {
  let s: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    s = await startServerApp({ controllers: [SlowController] });
    client = clientFor(s.port, { serviceName: 'A' });
    downstream = clientFor(s.port, { serviceName: 'B' });
  });
  afterAll(async () => {
    await client.close();
    await downstream?.close();
    await s.app.close();
  });

  it('unsubscribing cancels: the handler is unsubscribed (finalize) and ctx.signal aborts', async () => {
    const got = latch();
    const sub = client.serverStream('TestService.EchoServer', request('unsub')).subscribe(() => {
      got.resolve();
    });
    await got.promise;
    sub.unsubscribe();
    await waitFor(() => events.get('unsub')?.finalized === true, 'handler finalize');
    const reason = events.get('unsub')?.abortReason;
    expect(reason).toBeInstanceOf(TTStreamError);
    expect((reason as TTStreamError).code).toBe(TTStreamErrorCode.BizCancel);
    expect((reason as TTStreamError).canceledPath).toEqual(['A']);
  });

  it('an AbortSignal cancels the call with 12007', async () => {
    const controller = new AbortController();
    const result = lastValueFrom(
      client.serverStream('TestService.EchoServer', request('abort'), {
        signal: controller.signal,
      }),
    ).catch((e: unknown) => e);
    await waitFor(() => events.has('abort'), 'handler start');
    controller.abort();
    const error = await result;
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(TTStreamErrorCode.BizCancel);
    await waitFor(() => events.get('abort')?.finalized === true, 'handler finalize');
  });

  it('a handler that returns early ends the call and unsubscribes the request Observable', async () => {
    let requestsFinalized = false;
    const requests = interval(10).pipe(
      map((i) => request(`r${i}`)),
      finalize(() => (requestsFinalized = true)),
    );
    const out = await lastValueFrom(
      client.bidiStream('TestService.Echo', requests).pipe(toArray()),
    );
    expect(out).toEqual([{ message: 'r0', index: 0 }]);
    expect(requestsFinalized).toBe(true);
  });

  it('a cancel cascades to client calls made inside the handler (AsyncLocalStorage)', async () => {
    const sub = client
      .serverStream('TestService.ServerStreamWithErr', request('cascade'))
      .subscribe({ error: () => undefined });
    await waitFor(
      () => events.has('cascade') && events.has('relay-cascade'),
      'both handlers running',
    );
    sub.unsubscribe();
    await waitFor(() => events.get('cascade')?.finalized === true, 'downstream handler finalize');
    const reason = events.get('cascade')?.abortReason as TTStreamError;
    expect(reason).toBeInstanceOf(TTStreamError);
    expect(reason.canceledPath).toEqual(['A', 'B']);
    expect(reason.code).toBe(TTStreamErrorCode.BizCancel);
  });

  it('timeoutMs ends the call with 12015 and cancels the handler', async () => {
    const error = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('deadline', -1), { timeoutMs: 100 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(TTStreamErrorCode.StreamTimeout);
    await waitFor(() => events.get('deadline')?.finalized === true, 'handler finalize');
  });

  it('recvTimeoutMs ends the call with 12014', async () => {
    const error = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('recv', -1), { recvTimeoutMs: 80 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(TTStreamErrorCode.RecvTimeout);
    await waitFor(() => events.get('recv')?.finalized === true, 'handler finalize');
  });
});

describe('graceful close', () => {
  it('lets in-flight streams finish, then resets what outlives the grace period', async () => {
    const s = await startServerApp({ controllers: [SlowController] }, { gracefulShutdownMs: 1500 });
    const client = clientFor(s.port);
    try {
      const first = latch();
      const inflight = lastValueFrom(
        client.serverStream('TestService.EchoServer', request('inflight', 5)).pipe(
          map((r) => (first.resolve(), r)),
          toArray(),
        ),
      );
      const endless = lastValueFrom(
        client.serverStream('TestService.EchoServer', request('endless', -1)),
      ).catch((e: unknown) => e);
      await first.promise;
      await waitFor(() => events.has('endless'), 'endless handler');
      const closing = s.app.close();
      expect(await inflight).toHaveLength(5);
      const error = await endless;
      expect(error).toBeInstanceOf(TTStreamError);
      await closing;
      expect(events.get('endless')?.finalized).toBe(true);
    } finally {
      await client.close();
      await s.app.close();
    }
  });
});
