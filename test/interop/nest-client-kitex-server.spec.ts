/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
/**
 * Our Nest client -> the Kitex (Go) TestService server (issue 6, section 3, second direction).
 * `TTStreamClient` is registered through `ClientsModule.register` in a real Nest application
 * context and used both through the typed stubs (`getService`) and through
 * `serverStream`/`clientStream`/`bidiStream`. What the Kitex handler observed comes from the
 * server's JSON event log (test/interop/README.md, "Server stdout").
 *
 * Not covered here: an unknown method. The typed client only calls the methods of the IDL
 * (`sample/idl/echo.thrift` has no `NoSuchMethod`, and `bidiStream('TestService.NoSuchMethod')`
 * throws a TypeError before any frame is written), so there is nothing to send to Kitex; the
 * transport-level case is in ts-client-kitex-server.spec.ts.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule } from '@nestjs/microservices';
import { from, type Observable, Subject, type Subscription } from 'rxjs';
import {
  ApplicationException,
  BizStatusError,
  fromBizStatusError,
  TTStreamClient,
  type TTStreamCallOptions,
  TTStreamError,
  TTStreamErrorCode,
  type TTStreamServiceClient,
} from '../../lib/index.js';
import type { Request, Response, TestServiceClient } from '../../sample/generated/echo.js';
import { startKitexServer, type KitexServer, type KitexServerEvent } from './support/peer.js';

const KITEX = 'KITEX_TEST_SERVICE';
const WAIT_MS = 10_000;
const CANCEL_TEXT =
  'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively';

let kitex: KitexServer;
let app: INestApplicationContext | undefined;
let client: TTStreamClient;
let svc: TTStreamServiceClient<TestServiceClient>;

beforeAll(async () => {
  kitex = await startKitexServer();
  @Module({
    imports: [
      ClientsModule.register([
        {
          name: KITEX,
          customClass: TTStreamClient,
          options: {
            idl: 'sample/idl/echo.thrift',
            host: '127.0.0.1',
            port: kitex.port,
            serviceName: 'A',
          },
        },
      ]),
    ],
  })
  class KitexClientModule {}
  app = await NestFactory.createApplicationContext(KitexClientModule, { logger: false });
  client = app.get<TTStreamClient>(KITEX);
  svc = client.getService<TTStreamServiceClient<TestServiceClient>>('TestService');
});

afterAll(async () => {
  try {
    await app?.close();
  } finally {
    // Undefined when beforeAll failed before the server was up.
    await (kitex as KitexServer | undefined)?.stop();
  }
});

function req(message: string, count = 0): Request {
  return { message, userId: 0n, count };
}

/** How a call ended: every response in order, and the error (undefined = completed). */
interface Outcome {
  readonly got: Response[];
  readonly error: unknown;
}

/** Subscribes and resolves when `call$` completes or errors (rejects after `WAIT_MS`). */
function run(call$: Observable<Response>, onNext?: () => void): Promise<Outcome> {
  return new Promise((done, fail) => {
    const got: Response[] = [];
    const state: { sub?: Subscription } = {};
    const timer = setTimeout(() => {
      state.sub?.unsubscribe();
      fail(new Error(`call did not end within ${WAIT_MS} ms; got ${JSON.stringify(got)}`));
    }, WAIT_MS);
    state.sub = call$.subscribe({
      next: (r) => {
        got.push(r);
        onNext?.();
      },
      error: (error: unknown) => {
        clearTimeout(timer);
        done({ got, error });
      },
      complete: () => {
        clearTimeout(timer);
        done({ got, error: undefined });
      },
    });
  });
}

/** A value delivered by a callback, awaited with a bound. */
function captured<T>(what: string): { set: (v: T) => void; get: () => Promise<T> } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return {
    set: (v) => {
      resolve(v);
    },
    get: () => bounded(promise, what),
  };
}

function bounded<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      fail(new Error(`timed out after ${ms} ms: ${what}`));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => {
    clearTimeout(timer);
  });
}

/** `onHeader`/`onTrailer` options plus promises of what they received. */
function metadata(): {
  options: TTStreamCallOptions;
  header: () => Promise<Readonly<Record<string, string>>>;
  trailer: () => Promise<Readonly<Record<string, string>>>;
} {
  const h = captured<Readonly<Record<string, string>>>('onHeader');
  const t = captured<Readonly<Record<string, string>>>('onTrailer');
  return { options: { onHeader: h.set, onTrailer: t.set }, header: h.get, trailer: t.get };
}

/** Where the event log stands now: only later events (by index and by time) can match. */
interface Mark {
  readonly from: number;
  readonly t0: number;
}

function mark(): Mark {
  return { from: kitex.events.length, t0: Date.now() };
}

// Event lines come through a pipe and can arrive after the frames of the same stream, so an
// event of an earlier stream can still come in after mark(): match by time as well.
function kitexEvent(event: string, method: string, m: Mark): Promise<KitexServerEvent> {
  return kitex.waitForEvent(
    (e) => e.t_ms >= m.t0 && e.event === event && e.method === method,
    WAIT_MS,
    m.from,
  );
}

/** Counts responses (`poke` on every `next`); `reach(n)` resolves once `n` have come (bounded). */
function counter(): { poke: () => void; reach: (n: number) => Promise<void> } {
  let n = 0;
  const waiters: { n: number; done: () => void }[] = [];
  return {
    poke: () => {
      n++;
      for (const w of waiters.filter((x) => x.n <= n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    },
    reach: (target) =>
      bounded(
        new Promise<void>((done) => {
          if (n >= target) done();
          else waiters.push({ n: target, done });
        }),
        `${target} responses`,
      ),
  };
}

function expectKitexSawCancel(end: KitexServerEvent): void {
  expect(end.canceled).toBe(true);
  expect(end.ctx_err_code).toBe(12007);
  expect(end.ctx_err).toBe(
    `[ttstream error, code=12007] [server-side stream] [canceled path: A] ${CANCEL_TEXT}`,
  );
}

describe('Nest client (ClientsModule, TTStreamClient) -> Kitex server: success path', () => {
  const five = [0, 1, 2, 3, 4];

  it('Echo (bidi) through getService: exact messages in order, x-handler, x-sent=5', async () => {
    const md = metadata();
    const out = await run(svc.Echo(from(five.map((i) => req(`hello-${i}`))), md.options));
    expect(out).toEqual({
      got: five.map((i) => ({ message: `hello-${i}`, index: i })),
      error: undefined,
    });
    expect(await md.header()).toEqual({ 'x-handler': 'TestService.Echo' });
    expect((await md.trailer())['x-sent']).toBe('5');
  });

  it('Echo (bidi) through bidiStream: exact messages in order, x-handler, x-sent=3', async () => {
    const md = metadata();
    const out = await run(
      client.bidiStream<Request, Response>(
        'TestService.Echo',
        [0, 1, 2].map((i) => req(`m-${i}`)),
        md.options,
      ),
    );
    expect(out).toEqual({
      got: [0, 1, 2].map((i) => ({ message: `m-${i}`, index: i })),
      error: undefined,
    });
    expect((await md.header())['x-handler']).toBe('TestService.Echo');
    expect((await md.trailer())['x-sent']).toBe('3');
  });

  it('EchoClient (client streaming) through getService: one joined response, x-sent=1', async () => {
    const md = metadata();
    const out = await run(
      svc.EchoClient(from([0, 1, 2, 3].map((i) => req(`hello-${i}`))), md.options),
    );
    expect(out).toEqual({
      got: [{ message: 'hello-0,hello-1,hello-2,hello-3', index: 4 }],
      error: undefined,
    });
    expect((await md.header())['x-handler']).toBe('TestService.EchoClient');
    expect((await md.trailer())['x-sent']).toBe('1');
  });

  it('EchoClient through clientStream (an AsyncIterable): one joined response, x-sent=1', async () => {
    const md = metadata();
    async function* requests(): AsyncIterable<Request> {
      for (const m of ['a', 'b', 'c']) {
        await Promise.resolve();
        yield req(m);
      }
    }
    const out = await run(
      client.clientStream<Request, Response>('TestService.EchoClient', requests(), md.options),
    );
    expect(out).toEqual({ got: [{ message: 'a,b,c', index: 3 }], error: undefined });
    expect((await md.header())['x-handler']).toBe('TestService.EchoClient');
    expect((await md.trailer())['x-sent']).toBe('1');
  });

  it('EchoServer (server streaming) through getService: count=6 in order, x-sent=6', async () => {
    const md = metadata();
    const out = await run(svc.EchoServer(req('hello', 6), md.options));
    expect(out).toEqual({
      got: [0, 1, 2, 3, 4, 5].map((i) => ({ message: 'hello', index: i })),
      error: undefined,
    });
    expect((await md.header())['x-handler']).toBe('TestService.EchoServer');
    expect((await md.trailer())['x-sent']).toBe('6');
  });

  it('EchoServer through serverStream (camelCase stub too): count=2, x-sent=2', async () => {
    const md = metadata();
    const out = await run(
      client.serverStream<Request, Response>('TestService.EchoServer', req('hi', 2), md.options),
    );
    expect(out).toEqual({
      got: [0, 1].map((i) => ({ message: 'hi', index: i })),
      error: undefined,
    });
    expect((await md.header())['x-handler']).toBe('TestService.EchoServer');
    expect((await md.trailer())['x-sent']).toBe('2');
    const camel = (svc as unknown as { echoServer: TestServiceClient['EchoServer'] }).echoServer;
    expect((await run(camel(req('c', 1)))).got).toEqual([{ message: 'c', index: 0 }]);
  });
});

describe('Nest client -> Kitex server: errors', () => {
  it('ServerStreamWithErr count=3: token-0..2, then BizStatusError 10001 with its extra', async () => {
    const md = metadata();
    const { got, error } = await run(svc.ServerStreamWithErr(req('balance', 3), md.options));
    expect(got).toEqual([0, 1, 2].map((i) => ({ message: `token-${i}`, index: i })));
    expect(error).toBeInstanceOf(BizStatusError);
    const biz = fromBizStatusError(error);
    expect(
      biz === undefined
        ? undefined
        : { bizStatusCode: biz.bizStatusCode, bizMessage: biz.bizMessage, bizExtra: biz.bizExtra },
    ).toEqual({
      bizStatusCode: 10001,
      bizMessage: 'insufficient user balance',
      bizExtra: { testKey: 'testVal' },
    });
    expect((error as Error).message).toBe('biz error: code=10001, msg=insufficient user balance');
    expect((await md.header())['x-handler']).toBe('TestService.ServerStreamWithErr');
    expect((await md.trailer())['x-sent']).toBe('3');
  });

  it('ServerStreamWithErr "test error": ApplicationException type 6 with the Kitex text', async () => {
    const md = metadata();
    const { got, error } = await run(
      client.serverStream<Request, Response>(
        'TestService.ServerStreamWithErr',
        req('test error', 3),
        md.options,
      ),
    );
    expect(got).toEqual([]);
    expect(error).toBeInstanceOf(ApplicationException);
    const ex = error as ApplicationException;
    expect(ex.typeId).toBe(6);
    expect(ex.message).toBe(
      '[ttstream error, code=12001] [client-side stream] biz error: test error',
    );
    expect(fromBizStatusError(error)).toBeUndefined();
    expect((await md.header())['x-handler']).toBe('TestService.ServerStreamWithErr');
    expect((await md.trailer())['x-sent']).toBe('0');
  });
});

describe('Nest client (service name A) -> Kitex server: cancel', () => {
  it('unsubscribe mid-stream (Echo, after 2 rounds): the Kitex handler sees 12007 [canceled path: A]', async () => {
    const m = mark();
    const requests = new Subject<Request>();
    const got: Response[] = [];
    const seen = counter();
    const ended = { error: undefined as unknown, complete: false };
    const sub = svc.Echo(requests).subscribe({
      next: (r) => {
        got.push(r);
        seen.poke();
      },
      error: (error: unknown) => {
        ended.error = error;
      },
      complete: () => {
        ended.complete = true;
      },
    });
    try {
      requests.next(req('hello-0'));
      await seen.reach(1);
      requests.next(req('hello-1'));
      await seen.reach(2);
      await kitexEvent('stream_start', 'Echo', m);
      sub.unsubscribe();
      const end = await kitexEvent('stream_end', 'Echo', m);
      expectKitexSawCancel(end);
      expect({ sent: end.sent, recv: end.recv }).toEqual({ sent: 2, recv: 2 });
      expect(got).toEqual([0, 1].map((i) => ({ message: `hello-${i}`, index: i })));
      // An unsubscribed Observable reports nothing more.
      expect(ended).toEqual({ error: undefined, complete: false });
    } finally {
      sub.unsubscribe();
      requests.complete();
    }
  });

  it('AbortSignal mid-stream (Echo, after 1 round): 12007 here; the Kitex handler sees [canceled path: A]', async () => {
    const m = mark();
    const controller = new AbortController();
    const requests = new Subject<Request>();
    const seen = counter();
    const outcome = run(svc.Echo(requests, { signal: controller.signal }), seen.poke);
    try {
      requests.next(req('hello-0'));
      await seen.reach(1);
      await kitexEvent('stream_start', 'Echo', m);
      controller.abort();
      const { got, error } = await outcome;
      expect(got).toEqual([{ message: 'hello-0', index: 0 }]);
      expect(error).toBeInstanceOf(TTStreamError);
      expect((error as TTStreamError).kind).toBe(TTStreamErrorCode.BizCancel);
      expect((error as Error).message).toBe(
        `[ttstream error, code=12007] [client-side stream] ${CANCEL_TEXT}`,
      );
      const end = await kitexEvent('stream_end', 'Echo', m);
      expectKitexSawCancel(end);
      expect({ sent: end.sent, recv: end.recv }).toEqual({ sent: 1, recv: 1 });
    } finally {
      requests.complete();
    }
  });

  it('AbortSignal before the first response (EchoServer, interval 200 ms): 12007 both sides', async () => {
    const m = mark();
    const controller = new AbortController();
    const outcome = run(
      svc.EchoServer(req('hello', 10), {
        signal: controller.signal,
        metainfo: { transient: { 'interval-ms': '200' } },
      }),
    );
    await kitexEvent('stream_start', 'EchoServer', m);
    controller.abort();
    const { got, error } = await outcome;
    expect(got).toEqual([]);
    expect((error as TTStreamError).kind).toBe(TTStreamErrorCode.BizCancel);
    expectKitexSawCancel(await kitexEvent('stream_end', 'EchoServer', m));
  });
});

describe('Nest client -> Kitex server: timeouts', () => {
  const slow = { metainfo: { transient: { 'interval-ms': '1000' } } } as const;

  it('per-call timeoutMs 300: 12015 here; the Kitex handler sees a cancel with 12015', async () => {
    const m = mark();
    const t0 = Date.now();
    const { got, error } = await run(svc.EchoServer(req('hello', 3), { ...slow, timeoutMs: 300 }));
    expect(Date.now() - t0).toBeLessThan(900);
    expect(got).toEqual([]);
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(12015);
    expect((error as Error).message).toBe(
      '[ttstream error, code=12015] [client-side stream] stream timeout, timeout in ctx: 300ms',
    );
    const end = await kitexEvent('stream_end', 'EchoServer', m);
    expect(end.ctx_err_code).toBe(12015);
    expect(end.canceled).toBe(true);
    // Our RST (not Kitex's own copy of the deadline): it carries 12015 and the path A.
    expect(end.ctx_err).toBe(
      '[ttstream error, code=12015] [server-side stream] [canceled path: A] stream timeout, timeout in ctx: 300ms',
    );
  });

  it('recvTimeoutMs 200 with interval-ms 1000: 12014 here; the Kitex handler sees 12014 with path A', async () => {
    const m = mark();
    const t0 = Date.now();
    const { got, error } = await run(
      client.serverStream<Request, Response>('TestService.EchoServer', req('hello', 2), {
        ...slow,
        recvTimeoutMs: 200,
      }),
    );
    expect(Date.now() - t0).toBeLessThan(900);
    expect(got).toEqual([]);
    const detail = 'stream Recv timeout, timeout config={Timeout:200ms DisableCancelRemote:false}';
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(12014);
    expect((error as Error).message).toBe(
      `[ttstream error, code=12014] [client-side stream] ${detail}`,
    );
    const end = await kitexEvent('stream_end', 'EchoServer', m);
    expect(end.ctx_err_code).toBe(12014);
    expect(end.ctx_err).toBe(
      `[ttstream error, code=12014] [server-side stream] [canceled path: A] ${detail}`,
    );
    expect(end.canceled).toBe(true);
  });
});

describe('Nest client -> Kitex server: metainfo', () => {
  it('per-call metainfo reaches the Kitex handler (x-metainfo echoes it)', async () => {
    const md = metadata();
    const out = await run(
      svc.Echo(from([req('hello')]), {
        ...md.options,
        metainfo: { transient: { k2: 'v2' }, persistent: { k1: 'v1' } },
      }),
    );
    expect(out).toEqual({ got: [{ message: 'hello', index: 0 }], error: undefined });
    const header = await md.header();
    expect(header['x-handler']).toBe('TestService.Echo');
    expect(JSON.parse(header['x-metainfo'] ?? 'null')).toEqual({
      transient: { k2: 'v2' },
      persistent: { k1: 'v1' },
    });
    expect((await md.trailer())['x-sent']).toBe('1');
  });

  // Unknown method: not applicable through the typed client (see the file comment). The IDL
  // check happens before any I/O:
  it('a method outside the IDL is refused locally (TypeError), nothing reaches Kitex', () => {
    expect(() => client.bidiStream('TestService.NoSuchMethod', [req('x')])).toThrow(TypeError);
  });
});
