/**
 * The connections a TTStreamClient opens, in telemetry: a start (side `client`, the server's
 * address) and a close with the bytes read and written, for its streaming and its ping-pong
 * connections, and OpenTelemetry's `ttstream.client.open_connections`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom, lastValueFrom, Subject } from 'rxjs';
import {
  type ConnectionStart,
  type RpcObserver,
  StaticResolver,
  TTStreamClient,
  type TTStreamTelemetry,
} from '../../../lib/index.js';
import { loadOtelApi, type OtelApi } from '../../../lib/telemetry/otel/load-otel-api.js';
import { otelMetrics } from '../../../lib/telemetry/otel/otel-metrics.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import { CollectedMetrics, testMeterProvider } from '../../helpers/otel-metrics.js';
import { waitFor } from '../../helpers/wait.js';
import { clientFor, echoIdl, request, type ServerApp, startServerApp } from '../nest/harness.js';

const api = loadOtelApi() as OtelApi;

/** Records connection events only. */
class ConnectionRecorder implements TTStreamTelemetry {
  readonly started: ConnectionStart[] = [];
  readonly ended: { bytesIn: number; bytesOut: number }[] = [];

  start(): RpcObserver | undefined {
    return undefined;
  }

  connection(event: ConnectionStart) {
    this.started.push(event);
    return {
      end: (stats: { readonly bytesIn: number; readonly bytesOut: number }) => {
        this.ended.push({ ...stats });
      },
    };
  }
}

describe('client connections in telemetry', () => {
  const meter = testMeterProvider();
  const recorder = new ConnectionRecorder();
  let app: ServerApp;
  let client: TTStreamClient;

  beforeAll(async () => {
    app = await startServerApp({ controllers: [EchoController] }, { telemetry: false });
    client = clientFor(app.port, {
      telemetry: [otelMetrics(api, { meterProvider: meter.provider, semconv: 'old' }), recorder],
    });
  });
  afterAll(async () => {
    await client.close();
    await app.app.close();
    await meter.provider.shutdown();
  });

  const openConnections = async () =>
    (await CollectedMetrics.of(meter.reader)).sum('ttstream.client.open_connections');

  it('counts the stream and ping-pong connections open, then none after close()', async () => {
    // A stream held open (its own ttstream connection), and a unary call (a ping-pong one).
    const requests = new Subject<ReturnType<typeof request>>();
    const replies = client.bidiStream('TestService.Echo', requests);
    const first = firstValueFrom(replies);
    requests.next(request('held'));
    expect(await first).toMatchObject({ message: 'held' });
    expect(await lastValueFrom(client.send('TestService.EchoUnary', request('u', 1)))).toEqual({
      message: 'u',
      index: 1,
    });

    expect(recorder.started).toHaveLength(2);
    for (const event of recorder.started) {
      expect(event).toEqual({ side: 'client', peer: `127.0.0.1:${app.port}` });
    }
    expect(await openConnections()).toBe(2);
    requests.complete();

    await client.close();
    await waitFor(() => recorder.ended.length === 2, 'both connections closed');
    expect(await openConnections()).toBe(0);
    for (const stats of recorder.ended) {
      expect(stats.bytesIn).toBeGreaterThan(0);
      expect(stats.bytesOut).toBeGreaterThan(0);
    }
    const collected = await CollectedMetrics.of(meter.reader);
    const bytesIn = recorder.ended.reduce((total, s) => total + s.bytesIn, 0);
    expect(collected.sum('ttstream.client.network.io', { 'network.io.direction': 'receive' })).toBe(
      bytesIn,
    );
    // The server side's instruments stay untouched by a client.
    expect(collected.sum('ttstream.server.open_connections')).toBe(0);
  });

  it('a client with a resolver reports the connections to each instance it uses', async () => {
    const seen = new ConnectionRecorder();
    const balanced = new TTStreamClient({
      idl: echoIdl,
      service: 'echo',
      resolver: new StaticResolver({ echo: [{ host: '127.0.0.1', port: app.port }] }),
      logger: false,
      transportOptions: { poolSize: 1 },
      telemetry: seen,
    });
    try {
      await lastValueFrom(balanced.send('TestService.EchoUnary', request('r')));
      await lastValueFrom(balanced.serverStream('TestService.EchoServer', request('s', 1)));
      expect(seen.started).toEqual([
        { side: 'client', peer: `127.0.0.1:${app.port}` },
        { side: 'client', peer: `127.0.0.1:${app.port}` },
      ]);
    } finally {
      await balanced.close();
    }
    await waitFor(() => seen.ended.length === 2, 'both connections closed');
  });
});
