// An OpenTelemetry SDK registered globally for a test, as an app registers its NodeSDK: spans to
// an in-memory exporter, the AsyncLocalStorage context manager, W3C trace context and baggage.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A registered test SDK: its exporter, and how to unregister it. */
export interface GlobalTestTracing {
  readonly exporter: InMemorySpanExporter;
  /** Shuts the provider down and unregisters provider, context manager and propagator. */
  dispose(): Promise<void>;
}

/** Registers the SDK globally; `dispose()` it after the tests. */
export function registerTestTracing(): GlobalTestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  return {
    exporter,
    async dispose() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
