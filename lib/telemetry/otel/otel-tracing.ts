import {
  type Attributes,
  type Context,
  type Exception,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import {
  type ClientRpcStart,
  type RpcEndStats,
  type RpcObserver,
  type RpcOutcome,
  type ServerRpcStart,
  type TTStreamTelemetry,
} from '../rpc-lifecycle.js';
import { type OtelApi } from './load-otel-api.js';
import {
  metainfoGetter,
  metainfoSetter,
  transitMetainfo,
  transitValue,
} from './metainfo-carrier.js';
import {
  outcomeAttributes,
  peerServiceAttributes,
  PEER_RESOURCE_KEYS,
  rpcAttributes,
  rpcSpanName,
  type SemconvMode,
  semconvModeFromEnv,
  sizeAttributes,
} from './rpc-attributes.js';

/** The instrumentation scope of our spans and metrics. */
export const INSTRUMENTATION_SCOPE = 'nestjs-ttstream';

/** Options of {@link otelTracing}. */
export interface OtelTracingOptions {
  /** The provider to trace with. Default: the global one (nothing recorded while it is a no-op). */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Adds a span event per message sent or received (`message`, as gRPC's). Default false. */
  readonly messageEvents?: boolean | undefined;
  /**
   * This service's name: sent to the callee as `RPC_TRANSIT_service.name` (its `peer.service`)
   * and used as `rpc.service` on server spans. Default: the SDK resource's `service.name`.
   */
  readonly serviceName?: string | undefined;
  /** Which RPC semantic conventions to emit. Default: from `OTEL_SEMCONV_STABILITY_OPT_IN`. */
  readonly semconv?: SemconvMode | undefined;
}

/**
 * The OpenTelemetry tracing plug-in: one SERVER or CLIENT span per call or stream, named
 * `<IDL service>/<method>` and carrying obs-opentelemetry's attributes, with the trace context
 * taken from and put into Kitex's transient metainfo by the global propagator. While no SDK is
 * registered (and no `tracerProvider` is given) it returns no observer: an RPC costs one lookup.
 * @internal use `openTelemetry()`
 */
export function otelTracing(api: OtelApi, options: OtelTracingOptions = {}): TTStreamTelemetry {
  const semconv = options.semconv ?? semconvModeFromEnv();
  const messageEvents = options.messageEvents ?? false;
  const tracerOf = tracerSource(api, options.tracerProvider);
  return {
    start(event) {
      const tracer = tracerOf();
      if (tracer === undefined) return undefined;
      return event.side === 'server'
        ? startServer(api, tracer, event, options.serviceName, semconv, messageEvents)
        : startClient(api, tracer, event, options.serviceName, semconv, messageEvents);
    },
  };
}

/** The tracer to use now, or undefined while the global provider is the no-op one. */
function tracerSource(
  api: OtelApi,
  explicit: TracerProvider | undefined,
): () => Tracer | undefined {
  if (explicit !== undefined) {
    const tracer = explicit.getTracer(INSTRUMENTATION_SCOPE);
    return () => tracer;
  }
  let provider: TracerProvider | undefined;
  let tracer: Tracer | undefined;
  return () => {
    const current = api.trace.getTracerProvider();
    if (isNoopProvider(current)) return undefined;
    // A provider can be replaced (trace.disable() then a new registration): follow it.
    if (current !== provider) {
      provider = current;
      tracer = current.getTracer(INSTRUMENTATION_SCOPE);
    }
    return tracer;
  };
}

function isNoopProvider(provider: TracerProvider): boolean {
  // The global is a ProxyTracerProvider, possibly of another copy of the API (an app's ESM
  // import), so no instanceof: its delegate is a NoopTracerProvider until an SDK registers.
  // (A bundler that renames classes only costs non-recording spans, never lost ones.)
  const proxy = provider as { getDelegate?: () => TracerProvider };
  const delegate = typeof proxy.getDelegate === 'function' ? proxy.getDelegate() : provider;
  return (
    (delegate as { constructor?: { name?: string } }).constructor?.name === 'NoopTracerProvider'
  );
}

function startServer(
  api: OtelApi,
  tracer: Tracer,
  event: ServerRpcStart,
  serviceName: string | undefined,
  semconv: SemconvMode,
  messageEvents: boolean,
): RpcObserver {
  // A server's parent is the caller's context only, never what happens to be active here.
  const parent = api.propagation.extract(
    api.ROOT_CONTEXT,
    transitMetainfo(event.headers),
    metainfoGetter,
  );
  const attributes = rpcAttributes(event, { semconv, localService: serviceName });
  Object.assign(
    attributes,
    peerServiceAttributes((key) => transitValue(event.headers, key)),
  );
  const span = tracer.startSpan(
    rpcSpanName(event),
    { kind: api.SpanKind.SERVER, attributes },
    parent,
  );
  return spanObserver(api, span, api.trace.setSpan(parent, span), semconv, messageEvents);
}

function startClient(
  api: OtelApi,
  tracer: Tracer,
  event: ClientRpcStart,
  serviceName: string | undefined,
  semconv: SemconvMode,
  messageEvents: boolean,
): RpcObserver {
  const active = api.context.active();
  const span = tracer.startSpan(
    rpcSpanName(event),
    { kind: api.SpanKind.CLIENT, attributes: rpcAttributes(event, { semconv }) },
    active,
  );
  const context = api.trace.setSpan(active, span);
  // As Kitex's client middleware: our resource, then the propagator's keys, as transient metainfo.
  for (const [key, value] of callerIdentity(span, serviceName, event.localService)) {
    metainfoSetter.set(event, key, value);
  }
  api.propagation.inject(context, event, metainfoSetter);
  return spanObserver(api, span, context, semconv, messageEvents);
}

/**
 * `service.name` (and namespace, environment) to send: the plug-in's option, else the SDK
 * resource's, else the client's own `serviceName` when the resource has only the SDK's default.
 */
function callerIdentity(
  span: Span,
  serviceName: string | undefined,
  localService: string | undefined,
): [string, string][] {
  // An SDK span exposes its resource (ReadableSpan.resource); another span may not.
  const resource = (span as { resource?: { attributes?: Attributes } }).resource?.attributes;
  const identity: [string, string][] = [];
  for (const key of Object.keys(PEER_RESOURCE_KEYS)) {
    let value = resource?.[key];
    if (key === 'service.name') {
      // The SDK's default name (`unknown_service:node`) says less than a configured one.
      const unnamed = typeof value !== 'string' || value.startsWith('unknown_service');
      value = serviceName ?? (unnamed ? (localService ?? value) : value);
    }
    if (typeof value === 'string' && value !== '') identity.push([key, value]);
  }
  return identity;
}

function spanObserver(
  api: OtelApi,
  span: Span,
  context: Context,
  semconv: SemconvMode,
  messageEvents: boolean,
): RpcObserver {
  // Sizes are summed only while recording, and only while every size is known.
  const recording = span.isRecording();
  let recvSize: number | undefined = 0;
  let sendSize: number | undefined = 0;
  let sentId = 0;
  let receivedId = 0;
  const observer: RpcObserver = {
    run: (fn) => api.context.with(context, fn),
    end(outcome: RpcOutcome, stats: RpcEndStats) {
      if (recording) {
        // A size is known only if every message the transport counted came with one (no
        // message, no size: a 0 would read as an empty payload).
        const recv =
          stats.receivedBytes ??
          (receivedId > 0 && receivedId === stats.receivedMessages ? recvSize : undefined);
        const send =
          stats.sentBytes ?? (sentId > 0 && sentId === stats.sentMessages ? sendSize : undefined);
        span.setAttributes(sizeAttributes(recv, send, semconv));
        span.setAttributes(outcomeAttributes(outcome, semconv));
        setStatus(api, span, outcome);
      }
      span.end();
    },
  };
  // Without message events, no per-message callback at all (the sizes come with the end).
  if (!recording || !messageEvents) return observer;
  observer.message = (direction, _message, size) => {
    let id: number;
    if (direction === 'sent') {
      id = ++sentId;
      sendSize = size === undefined || sendSize === undefined ? undefined : sendSize + size;
    } else {
      id = ++receivedId;
      recvSize = size === undefined || recvSize === undefined ? undefined : recvSize + size;
    }
    const attributes: Attributes = {
      'rpc.message.type': direction === 'sent' ? 'SENT' : 'RECEIVED',
      'rpc.message.id': id,
    };
    if (size !== undefined) attributes['rpc.message.uncompressed_size'] = size;
    span.addEvent('message', attributes);
  };
  return observer;
}

/**
 * Error (with an `exception` event) for an exception, a cancel or a timeout; a business error
 * leaves the status unset, as in Kitex (the RPC itself succeeded), and so does success.
 */
function setStatus(api: OtelApi, span: Span, outcome: RpcOutcome): void {
  if (outcome.kind === 'ok' || outcome.kind === 'biz-error') return;
  if (outcome.error !== undefined) span.recordException(asException(outcome));
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome.message });
}

/**
 * The `exception` event's error, named by its class (`exception.type`): the SDK would prefer an
 * error's `code`, which for ours is the ttstream number, already in `kitex.error_code`.
 */
function asException(outcome: Exclude<RpcOutcome, { kind: 'ok' | 'biz-error' }>): Exception {
  const error = outcome.error;
  const name =
    outcome.kind === 'exception'
      ? outcome.type
      : error instanceof Error
        ? error.name
        : outcome.kind;
  if (error instanceof Error) return { name, message: error.message, stack: error.stack };
  return { name, message: outcome.message };
}
