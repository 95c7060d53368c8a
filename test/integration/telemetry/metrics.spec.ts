import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type Attributes, metrics } from '@opentelemetry/api';
import { firstValueFrom, lastValueFrom, of, Subject, toArray } from 'rxjs';
import { type TTStreamClient } from '../../../lib/index.js';
import { loadOtelApi, type OtelApi } from '../../../lib/telemetry/otel/load-otel-api.js';
import { otelMetrics } from '../../../lib/telemetry/otel/otel-metrics.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import {
  CollectedMetrics,
  type ManualMetricReader,
  testMeterProvider,
} from '../../helpers/otel-metrics.js';
import { rejectionOf } from '../../helpers/wait.js';
import { clientFor, request, type ServerApp, startServerApp } from '../nest/harness.js';

const api = loadOtelApi() as OtelApi;

/** Collects until `check` holds (the server ends an RPC just after its client sees the end). */
async function eventually(
  reader: ManualMetricReader,
  check: (got: CollectedMetrics) => boolean,
  what: string,
): Promise<CollectedMetrics> {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const got = await CollectedMetrics.of(reader);
    if (check(got)) return got;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`metrics never showed ${what}`);
}

const method = (name: string): Attributes => ({ 'rpc.method': name });

describe('OpenTelemetry metrics over loopback (TTStreamServer + TTStreamClient)', () => {
  // One provider each, as two processes would have.
  const server = testMeterProvider();
  const client = testMeterProvider();
  let app: ServerApp;
  let echo: TTStreamClient;

  beforeAll(async () => {
    app = await startServerApp(
      { controllers: [EchoController] },
      { telemetry: otelMetrics(api, { meterProvider: server.provider, semconv: 'old' }) },
    );
    echo = clientFor(app.port, {
      telemetry: otelMetrics(api, { meterProvider: client.provider, semconv: 'old' }),
    });
  });
  afterAll(async () => {
    await echo.close();
    await app.app.close();
    await server.provider.shutdown();
    await client.provider.shutdown();
  });

  const settled = (reader: ManualMetricReader, side: 'server' | 'client') =>
    eventually(
      reader,
      (got) => got.sum(`ttstream.${side}.active_rpcs`) === 0,
      `no active ${side} RPC`,
    );

  it('unary calls: one duration per call on each side, status Unset, one message each way', async () => {
    for (let i = 0; i < 3; i++) {
      await lastValueFrom(echo.send('TestService.EchoUnary', request(`u${i}`, i)));
    }
    const s = await eventually(
      server.reader,
      (got) => got.histogram('rpc.server.duration', method('EchoUnary')).count === 3,
      'three server durations',
    );
    const c = await CollectedMetrics.of(client.reader);
    const attributes = {
      'rpc.system': 'kitex',
      'rpc.service': 'TestService',
      'rpc.method': 'EchoUnary',
      'request.protocol': 'TTHeader',
    };
    expect(s.attributes('rpc.server.duration')).toContainEqual({
      ...attributes,
      'status.code': 'Unset',
    });
    expect(c.attributes('rpc.client.duration')).toContainEqual({
      ...attributes,
      'status.code': 'Unset',
    });
    expect(c.histogram('rpc.client.duration', method('EchoUnary')).count).toBe(3);
    const serverDuration = s.histogram('rpc.server.duration', method('EchoUnary'));
    expect(serverDuration.min).toBeGreaterThan(0);
    // Messages per RPC are recorded for streams only: a unary call's are 1 by definition.
    for (const [got, side] of [
      [s, 'server'],
      [c, 'client'],
    ] as const) {
      expect(got.attributes(`rpc.${side}.requests_per_rpc`)).not.toContainEqual(
        expect.objectContaining(method('EchoUnary')),
      );
      expect(got.attributes(`rpc.${side}.responses_per_rpc`)).not.toContainEqual(
        expect.objectContaining(method('EchoUnary')),
      );
    }
  });

  it('streams: messages per stream equal what each side sent and received', async () => {
    const served = await lastValueFrom(
      echo.serverStream('TestService.EchoServer', request('s', 4)).pipe(toArray()),
    );
    expect(served).toHaveLength(4);
    const echoed = await lastValueFrom(
      echo
        .bidiStream('TestService.Echo', of(request('a'), request('b'), request('c')))
        .pipe(toArray()),
    );
    expect(echoed).toHaveLength(3);
    async function* five() {
      for (let i = 0; i < 5; i++) yield request(`c${i}`);
    }
    expect(await lastValueFrom(echo.clientStream('TestService.EchoClient', five()))).toEqual({
      message: 'c0,c1,c2,c3,c4',
      index: 5,
    });

    const s = await eventually(
      server.reader,
      (got) => got.histogram('rpc.server.duration', method('EchoClient')).count === 1,
      'the client-streaming server end',
    );
    const c = await CollectedMetrics.of(client.reader);
    // [method, requests, responses]
    const expected: [string, number, number][] = [
      ['EchoServer', 1, 4],
      ['Echo', 3, 3],
      ['EchoClient', 5, 1],
    ];
    for (const [name, requests, responses] of expected) {
      for (const [got, side] of [
        [s, 'server'],
        [c, 'client'],
      ] as const) {
        expect([name, side, got.histogram(`rpc.${side}.requests_per_rpc`, method(name))]).toEqual([
          name,
          side,
          expect.objectContaining({ count: 1, sum: requests }),
        ]);
        expect([
          name,
          side,
          got.histogram(`rpc.${side}.responses_per_rpc`, method(name)).sum,
        ]).toEqual([name, side, responses]);
        expect(got.histogram(`rpc.${side}.duration`, method(name)).count).toBe(1);
      }
    }
    expect(c.attributes('rpc.client.duration')).toContainEqual({
      'rpc.system': 'kitex',
      'rpc.service': 'TestService',
      'rpc.method': 'Echo',
      'request.protocol': 'TTHeaderStreaming',
      'status.code': 'Unset',
    });
  });

  it('a business error is Unset and counted with its code; an exception is Error', async () => {
    const biz = await rejectionOf(
      lastValueFrom(echo.send('TestService.UnaryWithErr', request('biz'))),
    );
    expect(biz).toMatchObject({ bizStatusCode: 10001 });
    await rejectionOf(lastValueFrom(echo.send('TestService.UnaryWithErr', request('test error'))));
    const stream = await rejectionOf(
      lastValueFrom(echo.serverStream('TestService.ServerStreamWithErr', request('balance', 2))),
    );
    expect(stream).toMatchObject({ bizStatusCode: 10001 });

    const s = await eventually(
      server.reader,
      (got) => got.sum('ttstream.server.errors') === 3,
      'three server errors',
    );
    const c = await eventually(
      client.reader,
      (got) => got.sum('ttstream.client.errors') === 3,
      'three client errors',
    );
    for (const [got, side] of [
      [s, 'server'],
      [c, 'client'],
    ] as const) {
      const errors = `ttstream.${side}.errors`;
      const duration = `rpc.${side}.duration`;
      const biz10001 = { 'ttstream.outcome': 'biz-error', 'kitex.biz_status_code': 10001 };
      expect(got.sum(errors, { ...method('UnaryWithErr'), ...biz10001 })).toBe(1);
      expect(got.sum(errors, { ...method('ServerStreamWithErr'), ...biz10001 })).toBe(1);
      expect(got.sum(errors, { ...method('UnaryWithErr'), 'ttstream.outcome': 'exception' })).toBe(
        1,
      );
      expect(
        got.histogram(duration, { ...method('UnaryWithErr'), 'status.code': 'Unset' }).count,
      ).toBe(1);
      expect(
        got.histogram(duration, { ...method('UnaryWithErr'), 'status.code': 'Error' }).count,
      ).toBe(1);
      expect(
        got.histogram(duration, { ...method('ServerStreamWithErr'), 'status.code': 'Unset' }).count,
      ).toBe(1);
      // The tokens before the business error count as messages.
      expect(
        got.histogram(`rpc.${side}.responses_per_rpc`, method('ServerStreamWithErr')).sum,
      ).toBe(2);
    }
  });

  it('active streams rise while a stream is open and return to 0; a caller cancel counts', async () => {
    const requests = new Subject<ReturnType<typeof request>>();
    const replies = echo.bidiStream('TestService.Echo', requests);
    const first = firstValueFrom(replies);
    requests.next(request('open'));
    expect(await first).toMatchObject({ message: 'open' });
    // firstValueFrom unsubscribed: that was a caller cancel. Open one more and keep it.
    const held = new Subject<ReturnType<typeof request>>();
    const got: unknown[] = [];
    const subscription = echo.bidiStream('TestService.Echo', held).subscribe((v) => got.push(v));
    held.next(request('held'));
    const during = await eventually(
      server.reader,
      (m) => got.length === 1 && m.sum('ttstream.server.active_rpcs', method('Echo')) === 1,
      'one active server stream',
    );
    expect(during.sum('ttstream.server.open_connections')).toBeGreaterThanOrEqual(1);
    expect((await CollectedMetrics.of(client.reader)).sum('ttstream.client.active_rpcs')).toBe(1);
    held.complete();
    subscription.unsubscribe();

    const s = await settled(server.reader, 'server');
    const c = await settled(client.reader, 'client');
    expect(
      c.sum('ttstream.client.errors', { 'ttstream.outcome': 'cancel' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      s.sum('ttstream.server.errors', { 'ttstream.outcome': 'cancel' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('server connections: counted open, closed with the client, bytes read and written', async () => {
    await lastValueFrom(echo.send('TestService.EchoUnary', request('bytes')));
    const open = await CollectedMetrics.of(server.reader);
    expect(open.sum('ttstream.server.open_connections')).toBeGreaterThanOrEqual(1);
    await echo.close();
    const closed = await eventually(
      server.reader,
      (got) => got.sum('ttstream.server.open_connections') === 0,
      'every server connection closed',
    );
    const received = closed.sum('ttstream.server.network.io', {
      'network.io.direction': 'receive',
    });
    const sent = closed.sum('ttstream.server.network.io', { 'network.io.direction': 'transmit' });
    // Every RPC so far sent a request and got a reply: both directions carried bytes, at least
    // a TTHeader frame (14 bytes of fixed header) per message.
    const messages = closed.histogram('rpc.server.requests_per_rpc').sum;
    const replies = closed.histogram('rpc.server.responses_per_rpc').sum;
    expect(received).toBeGreaterThan(14 * messages);
    expect(sent).toBeGreaterThan(14 * replies);
  });
});

describe("telemetry: 'auto' with a globally registered meter provider", () => {
  afterEach(() => {
    metrics.disable();
  });

  it('records nothing until an SDK registers, then follows it (server and client)', async () => {
    const app = await startServerApp({ controllers: [EchoController] });
    const echo = clientFor(app.port);
    try {
      await lastValueFrom(echo.send('TestService.EchoUnary', request('before')));
      const { provider, reader } = testMeterProvider();
      metrics.setGlobalMeterProvider(provider);
      await lastValueFrom(echo.send('TestService.EchoUnary', request('after')));
      await lastValueFrom(echo.serverStream('TestService.EchoServer', request('s', 2)));
      const got = await eventually(
        reader,
        (m) => m.histogram('rpc.server.duration').count === 2,
        'two server durations',
      );
      expect(got.histogram('rpc.client.duration').count).toBe(2);
      expect(got.histogram('rpc.server.duration', method('EchoUnary')).count).toBe(1);
      expect(got.histogram('rpc.client.responses_per_rpc', method('EchoServer')).sum).toBe(2);
      // Only what started after the registration counts: the RPC before it, and a connection
      // accepted before it (if the ping-pong call reused one), neither rise nor fall.
      await echo.close();
      const closed = await eventually(
        reader,
        (m) =>
          m.sum('ttstream.server.network.io') > 0 &&
          m.sum('ttstream.server.open_connections') === 0,
        'the connections accepted after the registration closed, the count back to 0',
      );
      expect(closed.histogram('rpc.server.duration').count).toBe(2);
      await provider.shutdown();
    } finally {
      await echo.close();
      await app.app.close();
    }
  });
});
