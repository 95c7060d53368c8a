/**
 * Telemetry: the typed lifecycle events of every call and stream (for any tool: Prometheus,
 * access logs, a custom tracer), and the OpenTelemetry plug-in that traces and measures RPCs as
 * Kitex's obs-opentelemetry does.
 */
export {
  type RpcSide,
  type RpcKind,
  type RpcStartBase,
  type ServerRpcStart,
  type ClientRpcStart,
  type RpcStart,
  type RpcOutcome,
  type RpcEndStats,
  type RpcObserver,
  type TTStreamTelemetry,
  type ConnectionStart,
  type ConnectionObserver,
  type TTStreamTelemetryOption,
} from './rpc-lifecycle.js';
export { outcomeOfError } from './rpc-outcome.js';
export {
  openTelemetry,
  type OpenTelemetryOptions,
  type OtelTracerProvider,
  type OtelMeterProvider,
} from './otel/open-telemetry.js';
export { type SemconvMode } from './otel/semconv-mode.js';
