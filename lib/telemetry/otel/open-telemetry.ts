import { type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { combineTelemetry } from '../combine-telemetry.js';
import { type TTStreamTelemetry } from '../rpc-lifecycle.js';
import { loadOtelApi, type OtelApi } from './load-otel-api.js';
import { otelMetrics } from './otel-metrics.js';
import { otelTracing } from './otel-tracing.js';
import { type SemconvMode } from './semconv-mode.js';

// The public options name no @opentelemetry/api type: it is an optional peer dependency, and the
// declarations of an app without it must still compile. These are the parts we call.
/** An OpenTelemetry `TracerProvider` (from `@opentelemetry/api` or an SDK). */
export interface OtelTracerProvider {
  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): object;
}
/** An OpenTelemetry `MeterProvider` (from `@opentelemetry/api` or an SDK). */
export interface OtelMeterProvider {
  getMeter(name: string, version?: string, options?: { schemaUrl?: string }): object;
}

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /** Record spans. Default true. */
  readonly tracing?: boolean;
  /** Record metrics. Default true. */
  readonly metrics?: boolean;
  /**
   * The tracer provider. Default: the global one, looked up per RPC (so an SDK registered after
   * the server or client was made is used; none registered: nothing recorded, nothing allocated).
   */
  readonly tracerProvider?: OtelTracerProvider;
  /** The meter provider. Default: the global one (likewise). */
  readonly meterProvider?: OtelMeterProvider;
  /**
   * One span event per message sent or received (`message`, with `rpc.message.type` `SENT` or
   * `RECEIVED`, `rpc.message.id` and, when known, `rpc.message.uncompressed_size`). Default false:
   * a stream of many messages makes a large span.
   */
  readonly messageEvents?: boolean;
  /**
   * This service's name, sent to the services it calls as the metainfo `service.name` (Kitex's
   * obs-opentelemetry shows it as `peer.service`) and used as `rpc.service` on server spans.
   * Default: the `service.name` of the SDK's resource.
   */
  readonly serviceName?: string;
  /**
   * `'old'`: obs-opentelemetry's attribute names; `'stable'`: the stable RPC semantic
   * conventions; `'dup'`: both. Default: from `OTEL_SEMCONV_STABILITY_OPT_IN` (`rpc`, `rpc/dup`),
   * else `'old'`.
   */
  readonly semconv?: SemconvMode;
}

/**
 * OpenTelemetry tracing and metrics for `TTStreamServer` and `TTStreamClient`, spoken as Kitex's
 * obs-opentelemetry does, so that a Nest hop joins the traces of Go Kitex services: pass it in the
 * `telemetry` option (alone, or in a list with other plug-ins). The default `telemetry: 'auto'` is
 * this with default options whenever `@opentelemetry/api` is installed.
 *
 * @throws Error when `@opentelemetry/api` (an optional peer dependency) is not installed.
 * @example
 * new TTStreamServer({ ..., telemetry: openTelemetry({ messageEvents: true }) })
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): TTStreamTelemetry {
  const api = loadOtelApi();
  if (api === undefined) {
    throw new Error(
      "openTelemetry() needs the optional peer dependency '@opentelemetry/api': npm install @opentelemetry/api",
    );
  }
  return openTelemetryWith(api, options);
}

/**
 * `telemetry: 'auto'`: OpenTelemetry with default options when `@opentelemetry/api` is
 * installed, else undefined.
 * @internal
 */
export function tryOpenTelemetry(): TTStreamTelemetry | undefined {
  const api = loadOtelApi();
  return api === undefined ? undefined : openTelemetryWith(api, {});
}

function openTelemetryWith(api: OtelApi, options: OpenTelemetryOptions): TTStreamTelemetry {
  const tracing =
    options.tracing === false
      ? undefined
      : otelTracing(api, {
          tracerProvider: options.tracerProvider as TracerProvider | undefined,
          messageEvents: options.messageEvents,
          serviceName: options.serviceName,
          semconv: options.semconv,
        });
  const metrics =
    options.metrics === false
      ? undefined
      : otelMetrics(api, {
          meterProvider: options.meterProvider as MeterProvider | undefined,
          semconv: options.semconv,
          serviceName: options.serviceName,
        });
  const plugins = [tracing, metrics].filter((plugin) => plugin !== undefined);
  // The tracer first: its `run` (the span's context) is the outermost.
  return plugins.length === 0 ? { start: () => undefined } : combineTelemetry(plugins);
}
