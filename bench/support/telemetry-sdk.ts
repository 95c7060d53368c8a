// The OpenTelemetry SDK of the `sdk` case of bench:telemetry, registered globally as an application
// would: always-on sampling, a batch span processor into an exporter that only counts, W3C trace
// context propagation, async-local-storage context, and a meter provider whose periodic reader
// exports into a counting exporter. Imported (dynamically) by the `sdk` children only.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { type Recorded } from './telemetry-protocol.js';

/** How often the metric reader exports (the SDK's default is 60 s; this makes it work in a run). */
const METRIC_INTERVAL_MS = 5000;

/** The registered SDK: what it recorded so far (after flushing), and its shutdown. */
export interface RegisteredSdk {
  recorded(): Promise<Recorded>;
  shutdown(): Promise<void>;
}

/**
 * Makes a context active once, as the SDK's first export does (its exporters run under
 * `context.with`). On Node 20 this turns on AsyncLocalStorage's promise hooks for the whole
 * process, a cost any application with a registered SDK pays, whoever made the first span.
 */
export function activateContext(): void {
  context.with(context.active(), () => undefined);
}

/** Registers the SDK globally; call before the server or client is built. */
export function registerSdk(): RegisteredSdk {
  let spans = 0;
  const spanExporter: SpanExporter = {
    export(batch, done) {
      spans += batch.length;
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
  let points = 0;
  const names = new Set<string>();
  const metricExporter: PushMetricExporter = {
    export(resource, done) {
      // Cumulative temporality: the last export holds every point so far.
      points = 0;
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          names.add(metric.descriptor.name);
          points += metric.dataPoints.length;
        }
      }
      done({ code: ExportResultCode.SUCCESS });
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };

  const tracerProvider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor(spanExporter)],
  });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: METRIC_INTERVAL_MS,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  return {
    async recorded() {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
      return { spans, points, metrics: [...names].sort() };
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
