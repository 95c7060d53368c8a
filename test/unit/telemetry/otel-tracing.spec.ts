import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { BizStatusError, TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import { type OtelApi } from '../../../lib/telemetry/otel/load-otel-api.js';
import { otelTracing } from '../../../lib/telemetry/otel/otel-tracing.js';
import {
  type ClientRpcStart,
  type RpcEndStats,
  type ServerRpcStart,
} from '../../../lib/telemetry/rpc-lifecycle.js';
import { OK_OUTCOME, outcomeOfError } from '../../../lib/telemetry/rpc-outcome.js';

const otel: OtelApi = api;
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const STATS: RpcEndStats = { sentMessages: 1, receivedMessages: 1, durationMs: 1 };

function serverStart(headers: Record<string, string> = {}): ServerRpcStart {
  return {
    side: 'server',
    service: 'EchoService',
    method: 'EchoBidi',
    kind: 'bidirectional',
    peer: '127.0.0.1:5000',
    timeoutMs: undefined,
    idlPackage: undefined,
    localService: undefined,
    headers,
  };
}

function clientStart(sent: Record<string, string>): ClientRpcStart {
  return {
    side: 'client',
    service: 'EchoService',
    method: 'Echo',
    kind: 'unary',
    peer: undefined,
    timeoutMs: undefined,
    idlPackage: undefined,
    localService: undefined,
    headers: {},
    destService: 'echo-dest',
    setHeader: (key, value) => {
      sent[key] = value;
    },
  };
}

describe('otelTracing without an SDK', () => {
  it('returns no observer while the global tracer provider is the no-op one', () => {
    const tracing = otelTracing(otel);
    expect(tracing.start(serverStart())).toBeUndefined();
    const sent: Record<string, string> = {};
    expect(tracing.start(clientStart(sent))).toBeUndefined();
    expect(sent).toEqual({});
  });

  it('records to an explicit tracer provider', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const observer = otelTracing(otel, { tracerProvider: provider }).start(serverStart());
    observer?.end(OK_OUTCOME, STATS);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['EchoService/EchoBidi']);
  });
});

describe('otelTracing with a global SDK', () => {
  let exporter: InMemorySpanExporter;
  let provider: BasicTracerProvider;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    api.trace.setGlobalTracerProvider(provider);
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  afterEach(async () => {
    api.trace.disable();
    api.context.disable();
    api.propagation.disable();
    await provider.shutdown();
  });

  const only = (): ReadableSpan => {
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    return spans[0] as ReadableSpan;
  };

  it('makes a SERVER span, child of the caller, active in run()', () => {
    const observer = otelTracing(otel).start(
      serverStart({
        RPC_TRANSIT_traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        'RPC_TRANSIT_service.name': 'go-caller',
        RPC_PERSIST_other: 'x',
      }),
    );
    expect(observer).toBeDefined();
    const active = observer?.run?.(() => api.trace.getActiveSpan()?.spanContext());
    observer?.end(OK_OUTCOME, STATS);
    const span = only();
    expect(span.name).toBe('EchoService/EchoBidi');
    expect(span.kind).toBe(api.SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(active?.spanId).toBe(span.spanContext().spanId);
    expect(span.attributes).toEqual({
      'rpc.system': 'kitex',
      'rpc.service': 'EchoService',
      'rpc.method': 'EchoBidi',
      'request.protocol': 'TTHeaderStreaming',
      'peer.service': 'go-caller',
    });
    // Kitex never sets OK.
    expect(span.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(span.events).toEqual([]);
  });

  it('reads keys as Kitex normalises them, and passes baggage on to the next hop', () => {
    api.propagation.disable();
    api.propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    );
    const tracing = otelTracing(otel);
    const observer = tracing.start(
      serverStart({
        RPC_TRANSIT_TRACEPARENT: `00-${TRACE_ID}-${PARENT_ID}-01`,
        RPC_TRANSIT_UPSTREAM_baggage: 'tenant=t1',
      }),
    );
    const sent: Record<string, string> = {};
    const baggage = observer?.run?.(() => {
      tracing.start(clientStart(sent))?.end(OK_OUTCOME, STATS);
      return api.propagation.getActiveBaggage()?.getEntry('tenant')?.value;
    });
    observer?.end(OK_OUTCOME, STATS);
    expect(baggage).toBe('t1');
    expect(sent['RPC_TRANSIT_baggage']).toBe('tenant=t1');
    expect(sent['RPC_TRANSIT_traceparent']).toContain(TRACE_ID);
  });

  it('starts a root server span when the caller sent no context', () => {
    otelTracing(otel).start(serverStart())?.end(OK_OUTCOME, STATS);
    expect(only().parentSpanContext).toBeUndefined();
  });

  it('makes a CLIENT span under the active one and injects it as transient metainfo', () => {
    const tracing = otelTracing(otel, { serviceName: 'node-b' });
    const parent = provider.getTracer('t').startSpan('parent');
    const sent: Record<string, string> = {};
    const observer = api.context.with(api.trace.setSpan(api.context.active(), parent), () =>
      tracing.start(clientStart(sent)),
    );
    observer?.end(OK_OUTCOME, STATS);
    parent.end();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'EchoService/Echo');
    expect(span?.kind).toBe(api.SpanKind.CLIENT);
    expect(span?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span?.attributes['rpc.service']).toBe('echo-dest');
    expect(span?.attributes['request.protocol']).toBe('TTHeader');
    const ctx = span?.spanContext();
    expect(sent).toEqual({
      RPC_TRANSIT_traceparent: `00-${ctx?.traceId}-${ctx?.spanId}-01`,
      'RPC_TRANSIT_service.name': 'node-b',
    });
  });

  it("sends the SDK resource's service.name when no serviceName is given", () => {
    const sent: Record<string, string> = {};
    otelTracing(otel).start(clientStart(sent))?.end(OK_OUTCOME, STATS);
    expect(sent['RPC_TRANSIT_service.name']).toMatch(/^unknown_service/);
  });

  it('leaves a business error unset, with its code and message', () => {
    otelTracing(otel)
      .start(serverStart())
      ?.end(outcomeOfError(new BizStatusError(1001, 'no stock')), STATS);
    const span = only();
    expect(span.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(span.attributes['kitex.biz_status_code']).toBe(1001);
    expect(span.attributes['kitex.biz_message']).toBe('no stock');
    expect(span.events).toEqual([]);
  });

  it('marks an exception ERROR with an exception event', () => {
    otelTracing(otel)
      .start(serverStart())
      ?.end(outcomeOfError(new RangeError('bad input')), STATS);
    const span = only();
    expect(span.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'bad input' });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    expect(span.events[0]?.attributes?.['exception.type']).toBe('RangeError');
    expect(span.events[0]?.attributes?.['exception.message']).toBe('bad input');
  });

  it('marks a cancel ERROR with its code and cancel path', () => {
    const error = new TTStreamError(TTStreamErrorCode.CanceledByUpstream, {
      canceledPath: ['go-a', 'node-b'],
    });
    otelTracing(otel).start(serverStart())?.end(outcomeOfError(error), STATS);
    const span = only();
    expect(span.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(span.attributes['kitex.error_code']).toBe(12010);
    // Named by its class, not by its numeric code.
    expect(span.events[0]?.attributes?.['exception.type']).toBe('TTStreamError');
    expect(span.attributes['kitex.canceled_path']).toEqual(['go-a', 'node-b']);
  });

  it('marks a timeout ERROR with its code', () => {
    const error = new TTStreamError(TTStreamErrorCode.StreamTimeout);
    otelTracing(otel).start(serverStart())?.end(outcomeOfError(error), STATS);
    expect(only().attributes['kitex.error_code']).toBe(12015);
    expect(only().status.code).toBe(api.SpanStatusCode.ERROR);
  });

  it('sums message sizes, omits a size once one is unknown, and adds events on request', () => {
    const observer = otelTracing(otel, { messageEvents: true }).start(serverStart());
    observer?.message?.('received', {}, 10);
    observer?.message?.('received', {}, 5);
    observer?.message?.('sent', {}, undefined);
    observer?.end(OK_OUTCOME, { sentMessages: 1, receivedMessages: 2, durationMs: 1 });
    const span = only();
    expect(span.attributes['kitex.recv_size']).toBe(15);
    expect(span.attributes['kitex.send_size']).toBeUndefined();
    expect(span.events.map((e) => e.attributes)).toEqual([
      { 'rpc.message.type': 'RECEIVED', 'rpc.message.id': 1, 'rpc.message.uncompressed_size': 10 },
      { 'rpc.message.type': 'RECEIVED', 'rpc.message.id': 2, 'rpc.message.uncompressed_size': 5 },
      { 'rpc.message.type': 'SENT', 'rpc.message.id': 1 },
    ]);
  });

  it('asks for no message by default, and takes the sizes from the end stats', () => {
    const observer = otelTracing(otel).start(serverStart());
    expect(observer !== undefined && 'message' in observer).toBe(false);
    observer?.end(OK_OUTCOME, {
      sentMessages: 2,
      receivedMessages: 0,
      sentBytes: 30,
      receivedBytes: undefined,
      durationMs: 1,
    });
    expect(only().events).toEqual([]);
    expect(only().attributes['kitex.send_size']).toBe(30);
    // Not counted by the transport: no size rather than 0.
    expect(only().attributes['kitex.recv_size']).toBeUndefined();
  });

  it('omits a size when the transport counted messages it did not report', () => {
    const observer = otelTracing(otel, { messageEvents: true }).start(serverStart());
    observer?.message?.('sent', {}, 3);
    observer?.end(OK_OUTCOME, { sentMessages: 2, receivedMessages: 1, durationMs: 1 });
    expect(only().attributes['kitex.send_size']).toBeUndefined();
    expect(only().attributes['kitex.recv_size']).toBeUndefined();
  });

  it('emits the stable conventions on request', () => {
    otelTracing(otel, { semconv: 'stable' }).start(serverStart())?.end(OK_OUTCOME, STATS);
    expect(only().attributes).toEqual({
      'rpc.system.name': 'kitex',
      'rpc.method': 'EchoService/EchoBidi',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 5000,
      'rpc.response.status_code': 'OK',
    });
  });

  it('still propagates an unsampled context, with no per-message work', async () => {
    api.trace.disable();
    const unsampled = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    api.trace.setGlobalTracerProvider(unsampled);
    const sent: Record<string, string> = {};
    const observer = otelTracing(otel).start(clientStart(sent));
    expect(typeof observer?.message).toBe('undefined');
    observer?.end(OK_OUTCOME, STATS);
    expect(sent['RPC_TRANSIT_traceparent']).toMatch(/-00$/);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await unsampled.shutdown();
  });

  it('follows the global provider: nothing once it is disabled', () => {
    const tracing = otelTracing(otel);
    expect(tracing.start(serverStart())).toBeDefined();
    api.trace.disable();
    expect(tracing.start(serverStart())).toBeUndefined();
  });
});
