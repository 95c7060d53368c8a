/**
 * Promise budgets of the stream hot paths, counted (never timed).
 *
 * Why: on Node 20, once an OpenTelemetry SDK is registered its AsyncLocalStorage context manager
 * puts a hook on every promise the process creates (a promise_hook / async_hooks init per
 * promise, plus context propagation at each `then`). `npm run bench:telemetry` showed that this
 * per-promise cost, not the spans, was most of the tracing overhead: a stream that made ten
 * promises per message lost far more throughput than one that made almost none. So the hot paths
 * (writeResult, the pull of a `function*` handler, the client's sender) skip the promise whenever
 * the socket took a frame at once, and both ends' receive loops wait for a message on callbacks.
 *
 * The test counts promises created (async_hooks `init` of type PROMISE) while one workload runs,
 * server and client in this process, and asserts a budget per message. It measures no time, so
 * a loaded machine changes nothing but how long it takes. Figures when written: server streaming
 * ~0.004 promises per message (10 before the first change), bidi echo with one message in flight
 * ~0.01 (8, then 4 while each waiting read made two promises on each end), server streaming with
 * the writer full ~0.5 (2.4 while a waiting send made 6 on the server, 1.3 while the client's
 * waiting reads made promises).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHook } from 'node:async_hooks';
import { lastValueFrom, reduce, Subject } from 'rxjs';
import { TTStreamClient } from '../../../lib/index.js';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import { type Request, type Response } from '../../../sample/generated/echo.js';
import { ECHO_IDL_FILE } from '../../../sample/package-root.js';
import { type EchoServer, startEchoServer } from '../../../sample/server/create-echo-server.js';

/** Promises created while `counting` is on. */
const promises = { counting: false, count: 0 };
const hook = createHook({
  init(_id, type) {
    if (type === 'PROMISE' && promises.counting) promises.count++;
  },
});

/** Promises created per message while `workload` runs (it returns how many messages it moved). */
async function promisesPerMessage(workload: () => Promise<number>): Promise<number> {
  promises.count = 0;
  promises.counting = true;
  let messages: number;
  try {
    messages = await workload();
  } finally {
    promises.counting = false;
  }
  return promises.count / messages;
}

/** One connection, no telemetry: only the transport's own promises are counted. */
function clientOf(server: EchoServer): TTStreamClient {
  return new TTStreamClient({
    idl: loadThriftIdl(ECHO_IDL_FILE),
    host: '127.0.0.1',
    port: server.port,
    transportOptions: { poolSize: 1 },
    telemetry: false,
  });
}

describe('promises per message on the stream hot paths (counted, not timed)', () => {
  let server: EchoServer;
  let client: TTStreamClient;
  /** A server whose writer fills at 16 KiB, and its client. */
  let fullServer: EchoServer;
  let fullClient: TTStreamClient;

  /** Server streaming: `count` EchoServer messages (a `function*` handler). */
  const serverStream = (count: number) => () =>
    lastValueFrom(
      client
        .serverStream<Request, Response>('TestService.EchoServer', {
          message: 'budget',
          userId: 1n,
          count,
        })
        .pipe(reduce((seen) => seen + 1, 0)),
    );

  /** Bidi echo with one message in flight: the next request goes when the last answer came. */
  const bidiEcho = (count: number) => () =>
    new Promise<number>((resolve, reject) => {
      const requests = new Subject<Request>();
      const req: Request = { message: 'budget', userId: 1n, count: 0 };
      let received = 0;
      client.bidiStream<Request, Response>('TestService.Echo', requests).subscribe({
        next: () => {
          received++;
          if (received < count) requests.next(req);
          else requests.complete();
        },
        error: reject,
        complete: () => {
          resolve(received);
        },
      });
      requests.next(req);
    });

  beforeAll(async () => {
    server = await startEchoServer({ host: '127.0.0.1', port: 0 }, false);
    fullServer = await startEchoServer({ host: '127.0.0.1', port: 0 }, false, {
      writeHighWaterMark: 16 * 1024,
    });
    fullClient = clientOf(fullServer);
    client = clientOf(server);
    // Warm up: the connection, the first calls' one-time set-up.
    await serverStream(200)();
    await bidiEcho(200)();
    hook.enable();
  });

  afterAll(async () => {
    hook.disable();
    await client.close();
    await server.app.close();
    await fullClient.close();
    await fullServer.app.close();
  });

  it('server streaming (EchoServer, a function* handler): fewer than 0.1 per message', async () => {
    const perMessage = await promisesPerMessage(serverStream(20_000));
    expect(perMessage).toBeLessThan(0.1);
  });

  it('server streaming while every stream finds the writer full: fewer than 0.9 per message', async () => {
    // A 16 KiB writer high-water mark and 1 KB messages on 10 streams: most flushes leave each
    // stream with a send that waits. Such a send made 6 promises on the server (the send
    // limiter's Deferred and reaction, the writer's reaction, the pacing promise and its
    // reaction); it now makes one, the send limiter's reaction to the flush. The client's reads
    // that wait make none.
    const streams = 10;
    const perStream = 2000;
    const stream = () =>
      lastValueFrom(
        fullClient
          .serverStream<Request, Response>('TestService.EchoServer', {
            message: 'x'.repeat(1000),
            userId: 1n,
            count: perStream,
          })
          .pipe(reduce((seen) => seen + 1, 0)),
      );
    const perMessage = await promisesPerMessage(async () => {
      const counts = await Promise.all(Array.from({ length: streams }, stream));
      return counts.reduce((a, b) => a + b, 0);
    });
    expect(perMessage).toBeLessThan(0.9);
  });

  it('bidi echo (Echo), one message in flight: fewer than 0.5 per message', async () => {
    // Every message is waited for, at both ends: those reads are callbacks, not promises.
    const perMessage = await promisesPerMessage(bidiEcho(5000));
    expect(perMessage).toBeLessThan(0.5);
  });
});
