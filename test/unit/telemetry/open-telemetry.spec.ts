import { describe, expect, it } from '@jest/globals';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { openTelemetry } from '../../../lib/telemetry/index.js';
import { loadOtelApi } from '../../../lib/telemetry/otel/load-otel-api.js';
import { type RpcStart } from '../../../lib/telemetry/rpc-lifecycle.js';
import { OK_OUTCOME } from '../../../lib/telemetry/rpc-outcome.js';

const START: RpcStart = {
  side: 'server',
  service: 'EchoService',
  method: 'Echo',
  kind: 'unary',
  peer: '127.0.0.1:1',
  timeoutMs: undefined,
  idlPackage: undefined,
  localService: undefined,
  headers: {},
};
const STATS = { sentMessages: 1, receivedMessages: 1, durationMs: 2 };

class ManualReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

describe('loadOtelApi', () => {
  it('loads the installed API once', () => {
    const api = loadOtelApi();
    expect(typeof api?.trace.getTracer).toBe('function');
    expect(loadOtelApi()).toBe(api);
  });
});

describe('openTelemetry', () => {
  it('observes nothing when both signals are off', () => {
    expect(openTelemetry({ tracing: false, metrics: false }).start(START)).toBeUndefined();
  });

  it('observes nothing without an SDK or providers', () => {
    expect(openTelemetry().start(START)).toBeUndefined();
  });

  it('traces and measures one RPC through one observer', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const reader = new ManualReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const observer = openTelemetry({ tracerProvider, meterProvider }).start(START);
    // The tracer's run() (it makes the span active) survives the composition.
    expect(observer?.run?.(() => 'ran')).toBe('ran');
    observer?.end(OK_OUTCOME, STATS);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['EchoService/Echo']);
    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) =>
      s.metrics.map((m) => m.descriptor.name),
    );
    expect(names).toContain('rpc.server.duration');
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  });

  it('traces only when metrics are off', () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const telemetry = openTelemetry({ tracerProvider, metrics: false });
    expect(typeof telemetry.connection).toBe('undefined');
    telemetry.start(START)?.end(OK_OUTCOME, STATS);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
