import { afterEach, describe, expect, it } from '@jest/globals';
import { metrics, type MeterProvider } from '@opentelemetry/api';
import { outcomeOfError, OK_OUTCOME } from '../../../lib/telemetry/rpc-outcome.js';
import {
  type ClientRpcStart,
  type RpcEndStats,
  type RpcOutcome,
  type ServerRpcStart,
  type TTStreamTelemetry,
} from '../../../lib/telemetry/rpc-lifecycle.js';
import { loadOtelApi, type OtelApi } from '../../../lib/telemetry/otel/load-otel-api.js';
import { otelMetrics, type OtelMetricsOptions } from '../../../lib/telemetry/otel/otel-metrics.js';
import { BizStatusError, TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import { CollectedMetrics, testMeterProvider } from '../../helpers/otel-metrics.js';

const api = loadOtelApi() as OtelApi;

function serverStart(overrides: Partial<ServerRpcStart> = {}): ServerRpcStart {
  return {
    side: 'server',
    service: 'TestService',
    method: 'EchoUnary',
    kind: 'unary',
    peer: '127.0.0.1:54321',
    timeoutMs: undefined,
    idlPackage: undefined,
    localService: undefined,
    headers: {},
    ...overrides,
  };
}

function clientStart(overrides: Partial<ClientRpcStart> = {}): ClientRpcStart {
  return {
    side: 'client',
    service: 'TestService',
    method: 'Echo',
    kind: 'bidirectional',
    peer: '127.0.0.1:8888',
    timeoutMs: undefined,
    idlPackage: undefined,
    localService: undefined,
    headers: {},
    destService: 'echo-server',
    setHeader: () => undefined,
    ...overrides,
  };
}

function stats(sent: number, received: number, durationMs: number): RpcEndStats {
  return { sentMessages: sent, receivedMessages: received, durationMs };
}

function setup(options: OtelMetricsOptions = {}) {
  const { provider, reader } = testMeterProvider();
  const plugin = otelMetrics(api, { meterProvider: provider, ...options });
  return { plugin, provider, collect: () => CollectedMetrics.of(reader) };
}

/** Runs one RPC through the plug-in. */
function rpc(
  plugin: TTStreamTelemetry,
  event: ServerRpcStart | ClientRpcStart,
  outcome: RpcOutcome,
  end: RpcEndStats,
): void {
  const observer = plugin.start(event);
  if (observer === undefined) throw new Error('no observer');
  observer.end(outcome, end);
}

const streamError = (code: TTStreamErrorCode, message: string) =>
  outcomeOfError(new TTStreamError(code, { detail: message }));

describe('otelMetrics', () => {
  afterEach(() => {
    metrics.disable();
  });

  it('no SDK registered and no meterProvider: start and connection return undefined', () => {
    const plugin = otelMetrics(api, {});
    expect(plugin.start(serverStart())).toBeUndefined();
    expect(plugin.connection?.({ side: 'server', peer: '127.0.0.1:1' })).toBeUndefined();
  });

  it('follows the global provider registered after the plug-in was made, and its changes', async () => {
    const plugin = otelMetrics(api, {});
    expect(plugin.start(serverStart())).toBeUndefined();
    const first = testMeterProvider();
    metrics.setGlobalMeterProvider(first.provider);
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 2));
    expect((await CollectedMetrics.of(first.reader)).histogram('rpc.server.duration').count).toBe(
      1,
    );

    metrics.disable();
    expect(plugin.start(serverStart())).toBeUndefined();
    const second = testMeterProvider();
    metrics.setGlobalMeterProvider(second.provider);
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 2));
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 2));
    expect((await CollectedMetrics.of(second.reader)).histogram('rpc.server.duration').count).toBe(
      2,
    );
    expect((await CollectedMetrics.of(first.reader)).histogram('rpc.server.duration').count).toBe(
      1,
    );
  });

  it('gets its meter once per provider, not per RPC', () => {
    const { provider } = testMeterProvider();
    let meters = 0;
    const counting: MeterProvider = {
      getMeter: (...args) => {
        meters++;
        return provider.getMeter(...args);
      },
    };
    const plugin = otelMetrics(api, { meterProvider: counting });
    for (let i = 0; i < 5; i++) rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 1));
    plugin.connection?.({ side: 'server', peer: undefined })?.end({ bytesIn: 1, bytesOut: 1 });
    expect(meters).toBe(1);
  });

  it("a server unary call: rpc.server.duration in ms with obs-opentelemetry's attributes", async () => {
    const { plugin, collect } = setup();
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 12.5));
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 7.5));
    const got = await collect();
    const duration = got.metric('rpc.server.duration');
    expect(duration?.descriptor.unit).toBe('');
    expect(got.scopes).toEqual(['nestjs-ttstream']);
    expect(got.attributes('rpc.server.duration')).toEqual([
      {
        'rpc.system': 'kitex',
        'rpc.service': 'TestService',
        'rpc.method': 'EchoUnary',
        'request.protocol': 'TTHeader',
        'status.code': 'Unset',
      },
    ]);
    expect(got.histogram('rpc.server.duration')).toEqual({
      count: 2,
      sum: 20,
      min: 7.5,
      max: 12.5,
    });
    // Messages per RPC are those of streams: a unary call's are 1 by definition.
    expect(got.names()).not.toContain('rpc.server.requests_per_rpc');
    expect(got.names()).not.toContain('rpc.server.responses_per_rpc');
    expect(got.sum('ttstream.server.active_rpcs')).toBe(0);
    expect(got.names()).not.toContain('ttstream.server.errors');
    expect(got.names()).not.toContain('rpc.server.call.duration');
  });

  it('the server rpc.service is the serviceName option when given (Kitex: the registered name)', async () => {
    const { plugin, collect } = setup({ serviceName: 'echo-svc' });
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 1));
    expect((await collect()).attributes('rpc.server.duration')[0]).toMatchObject({
      'rpc.service': 'echo-svc',
    });
  });

  it('active RPCs count up at start and down at end, per side', async () => {
    const { plugin, collect } = setup();
    const a = plugin.start(serverStart({ method: 'Echo', kind: 'bidirectional' }));
    const b = plugin.start(serverStart({ method: 'Echo', kind: 'bidirectional' }));
    const c = plugin.start(clientStart());
    let got = await collect();
    expect(got.sum('ttstream.server.active_rpcs', { 'rpc.method': 'Echo' })).toBe(2);
    expect(got.sum('ttstream.client.active_rpcs')).toBe(1);
    a?.end(OK_OUTCOME, stats(0, 0, 1));
    c?.end(OK_OUTCOME, stats(0, 0, 1));
    got = await collect();
    expect(got.sum('ttstream.server.active_rpcs')).toBe(1);
    expect(got.sum('ttstream.client.active_rpcs')).toBe(0);
    b?.end(OK_OUTCOME, stats(0, 0, 1));
    b?.end(OK_OUTCOME, stats(0, 0, 1)); // a second end is ignored
    got = await collect();
    expect(got.sum('ttstream.server.active_rpcs')).toBe(0);
    expect(got.histogram('rpc.server.duration').count).toBe(2);
  });

  it('messages per stream: requests are what the side received (server) or sent (client)', async () => {
    const { plugin, collect } = setup();
    rpc(plugin, serverStart({ method: 'EchoClient', kind: 'client' }), OK_OUTCOME, stats(1, 7, 3));
    rpc(plugin, clientStart({ method: 'EchoServer', kind: 'server' }), OK_OUTCOME, stats(1, 5, 3));
    const got = await collect();
    expect(got.histogram('rpc.server.requests_per_rpc')).toMatchObject({ count: 1, sum: 7 });
    expect(got.histogram('rpc.server.responses_per_rpc')).toMatchObject({ count: 1, sum: 1 });
    expect(got.histogram('rpc.client.requests_per_rpc')).toMatchObject({ count: 1, sum: 1 });
    expect(got.histogram('rpc.client.responses_per_rpc')).toMatchObject({ count: 1, sum: 5 });
    expect(got.attributes('rpc.client.requests_per_rpc')).toEqual([
      {
        'rpc.system': 'kitex',
        'rpc.service': 'echo-server',
        'rpc.method': 'EchoServer',
        'request.protocol': 'TTHeaderStreaming',
      },
    ]);
  });

  it('a business error: status.code Unset (as Kitex) and counted with its code', async () => {
    const { plugin, collect } = setup();
    const biz = outcomeOfError(new BizStatusError(10001, 'insufficient user balance'));
    rpc(plugin, clientStart(), biz, stats(2, 2, 4));
    rpc(plugin, clientStart(), biz, stats(1, 1, 4));
    const got = await collect();
    expect(got.histogram('rpc.client.duration', { 'status.code': 'Unset' }).count).toBe(2);
    expect(got.attributes('ttstream.client.errors')).toEqual([
      {
        'rpc.system': 'kitex',
        'rpc.service': 'echo-server',
        'rpc.method': 'Echo',
        'request.protocol': 'TTHeaderStreaming',
        'ttstream.outcome': 'biz-error',
        'kitex.biz_status_code': 10001,
      },
    ]);
    expect(got.sum('ttstream.client.errors')).toBe(2);
  });

  it('exceptions, cancels and timeouts: status.code Error, counted by outcome and code', async () => {
    const { plugin, collect } = setup();
    const event = serverStart({ method: 'Echo', kind: 'bidirectional' });
    rpc(plugin, event, streamError(TTStreamErrorCode.ApplicationException, 'boom'), stats(0, 1, 1));
    rpc(plugin, event, outcomeOfError(new TypeError('bad')), stats(0, 1, 1));
    rpc(plugin, event, streamError(TTStreamErrorCode.BizCancel, 'gone'), stats(0, 1, 1));
    rpc(plugin, event, streamError(TTStreamErrorCode.StreamTimeout, 'late'), stats(0, 1, 1));
    const got = await collect();
    expect(got.histogram('rpc.server.duration', { 'status.code': 'Error' }).count).toBe(4);
    expect(got.histogram('rpc.server.duration', { 'status.code': 'Unset' }).count).toBe(0);
    const errors = 'ttstream.server.errors';
    expect(got.sum(errors)).toBe(4);
    expect(got.sum(errors, { 'ttstream.outcome': 'exception', 'kitex.error_code': 12001 })).toBe(1);
    expect(got.sum(errors, { 'ttstream.outcome': 'exception', 'error.type': 'TypeError' })).toBe(1);
    expect(
      got.sum(errors, {
        'ttstream.outcome': 'cancel',
        'kitex.error_code': TTStreamErrorCode.BizCancel,
      }),
    ).toBe(1);
    expect(
      got.sum(errors, {
        'ttstream.outcome': 'timeout',
        'kitex.error_code': TTStreamErrorCode.StreamTimeout,
      }),
    ).toBe(1);
  });

  it("a server's points carry peer.service from the caller's metainfo, never its address", async () => {
    const { plugin, collect } = setup({ semconv: 'dup' });
    const headers = {
      'RPC_TRANSIT_service.name': 'go-caller',
      'RPC_TRANSIT_deployment.environment': 'staging',
      RPC_TRANSIT_traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    };
    rpc(plugin, serverStart({ headers, peer: '127.0.0.1:40001' }), OK_OUTCOME, stats(1, 1, 1));
    rpc(plugin, serverStart({ headers, peer: '127.0.0.1:40002' }), OK_OUTCOME, stats(1, 1, 1));
    const got = await collect();
    for (const name of ['rpc.server.duration', 'rpc.server.call.duration']) {
      const points = got.attributes(name);
      expect(points).toHaveLength(1);
      expect(points[0]).toMatchObject({
        'peer.service': 'go-caller',
        'peer.deployment.environment': 'staging',
      });
      expect(
        Object.keys(points[0] ?? {}).filter((k) => /peer\.(address|port)|server\./.test(k)),
      ).toEqual([]);
    }
  });

  it('caller identities beyond maxPeerServices (default 100) share the series _OTHER', async () => {
    const caller = (name: string) => serverStart({ headers: { 'RPC_TRANSIT_service.name': name } });
    const limited = setup({ maxPeerServices: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'a']) {
      rpc(limited.plugin, caller(name), OK_OUTCOME, stats(1, 1, 1));
    }
    const got = await limited.collect();
    const services = got.attributes('rpc.server.duration').map((a) => a['peer.service']);
    expect(services.sort()).toEqual(['_OTHER', 'a', 'b']);
    expect(got.histogram('rpc.server.duration', { 'peer.service': 'a' }).count).toBe(2);
    expect(got.histogram('rpc.server.duration', { 'peer.service': '_OTHER' }).count).toBe(2);

    const byDefault = setup();
    for (let i = 0; i < 150; i++) {
      rpc(byDefault.plugin, caller(`svc-${i}`), OK_OUTCOME, stats(1, 1, 1));
    }
    const series = (await byDefault.collect()).attributes('rpc.server.duration');
    expect(series).toHaveLength(101);
    expect(series.filter((a) => a['peer.service'] === '_OTHER')).toHaveLength(1);
  });

  it('maxPeerServices must be an integer >= 0; 0 records every caller as _OTHER', async () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => otelMetrics(api, { maxPeerServices: bad })).toThrow(RangeError);
    }
    const { plugin, collect } = setup({ maxPeerServices: 0 });
    const headers = { 'RPC_TRANSIT_service.name': 'a' };
    rpc(plugin, serverStart({ headers }), OK_OUTCOME, stats(1, 1, 1));
    expect((await collect()).attributes('rpc.server.duration')[0]?.['peer.service']).toBe('_OTHER');
  });

  it('stable conventions: rpc.server.call.duration in seconds, no rpc.server.duration', async () => {
    const { plugin, collect } = setup({ semconv: 'stable' });
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 250));
    rpc(plugin, serverStart(), streamError(TTStreamErrorCode.StreamTimeout, 'x'), stats(1, 0, 500));
    const got = await collect();
    expect(got.names()).not.toContain('rpc.server.duration');
    const duration = got.metric('rpc.server.call.duration');
    expect(duration?.descriptor.unit).toBe('s');
    expect(got.histogram('rpc.server.call.duration').sum).toBeCloseTo(0.75, 9);
    expect(got.attributes('rpc.server.call.duration')).toEqual(
      expect.arrayContaining([
        {
          'rpc.system.name': 'kitex',
          'rpc.method': 'TestService/EchoUnary',
          'rpc.response.status_code': 'OK',
        },
        {
          'rpc.system.name': 'kitex',
          'rpc.method': 'TestService/EchoUnary',
          'rpc.response.status_code': String(TTStreamErrorCode.StreamTimeout),
          'error.type': String(TTStreamErrorCode.StreamTimeout),
        },
      ]),
    );
    expect(got.attributes('ttstream.server.active_rpcs')[0]).toEqual({
      'rpc.system.name': 'kitex',
      'rpc.method': 'TestService/EchoUnary',
    });
  });

  it('dup conventions: both durations, the same RPCs in ms and in s', async () => {
    const { plugin, collect } = setup({ semconv: 'dup' });
    rpc(plugin, clientStart(), OK_OUTCOME, stats(3, 3, 1500));
    const got = await collect();
    expect(got.histogram('rpc.client.duration')).toMatchObject({ count: 1, sum: 1500 });
    expect(got.histogram('rpc.client.call.duration')).toMatchObject({ count: 1, sum: 1.5 });
    expect(got.attributes('rpc.client.duration')[0]).toMatchObject({
      'rpc.method': 'Echo',
      'status.code': 'Unset',
    });
  });

  it('server connections: open count up and down, bytes in and out counted at the close', async () => {
    const { plugin, collect } = setup();
    const a = plugin.connection?.({ side: 'server', peer: '127.0.0.1:1000' });
    const b = plugin.connection?.({ side: 'server', peer: '127.0.0.1:1001' });
    let got = await collect();
    expect(got.sum('ttstream.server.open_connections')).toBe(2);
    expect(got.names()).not.toContain('ttstream.server.network.io');
    a?.end({ bytesIn: 100, bytesOut: 40 });
    a?.end({ bytesIn: 100, bytesOut: 40 }); // ignored
    b?.end({ bytesIn: 5, bytesOut: 7 });
    got = await collect();
    expect(got.sum('ttstream.server.open_connections')).toBe(0);
    expect(got.sum('ttstream.server.network.io', { 'network.io.direction': 'receive' })).toBe(105);
    expect(got.sum('ttstream.server.network.io', { 'network.io.direction': 'transmit' })).toBe(47);
    expect(got.metric('ttstream.server.network.io')?.descriptor.unit).toBe('By');
  });
});

describe('otelMetrics per-RPC cost', () => {
  afterEach(() => {
    metrics.disable();
  });

  /** A provider whose synchronous instruments count their record/add calls. */
  function countingProvider(inner: MeterProvider) {
    const calls = { count: 0 };
    const wrap = <T extends object>(instrument: T): T =>
      new Proxy(instrument, {
        get(target, key, receiver) {
          const value: unknown = Reflect.get(target, key, receiver);
          if ((key === 'record' || key === 'add') && typeof value === 'function') {
            return (...args: unknown[]) => {
              calls.count++;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return value;
        },
      });
    const provider: MeterProvider = {
      getMeter(name, version, options) {
        const meter = inner.getMeter(name, version, options);
        return new Proxy(meter, {
          get(target, key, receiver) {
            const value: unknown = Reflect.get(target, key, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              const made: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
              return String(key).startsWith('createObservable') ? made : wrap(made as object);
            };
          },
        });
      },
    };
    return { provider, calls };
  }

  it('a unary call records its duration only; a stream adds its two message counts', async () => {
    const { provider: inner, reader } = testMeterProvider();
    const { provider, calls } = countingProvider(inner);
    const plugin = otelMetrics(api, { meterProvider: provider, semconv: 'old' });
    rpc(plugin, serverStart(), OK_OUTCOME, stats(1, 1, 1));
    // RPCs in progress are observed at collection: no add at start or end.
    expect(calls.count).toBe(1);
    rpc(plugin, serverStart({ method: 'EchoServer', kind: 'server' }), OK_OUTCOME, stats(9, 1, 1));
    expect(calls.count).toBe(4);
    const got = await CollectedMetrics.of(reader);
    expect(got.sum('ttstream.server.active_rpcs')).toBe(0);
    expect(got.histogram('rpc.server.responses_per_rpc')).toMatchObject({ count: 1, sum: 9 });
  });
});
