// IPC messages between the `bench:telemetry` driver and its server/client child processes.

/**
 * The telemetry set-up a pair of children runs:
 * - `off`: `telemetry: false` on the server and the client;
 * - `api`: the default (`'auto'`), `@opentelemetry/api` installed, no SDK registered;
 * - `sdk`: the default, with an SDK registered (always-on sampling, batch processor into a no-op
 *   exporter, a meter provider with a reader);
 * - `absent`: the default, with `@opentelemetry/api` made unresolvable (hide-otel-api.ts);
 * - `sdk-off`: the SDK of `sdk`, with `telemetry: false`, and a context made active once, as the
 *   SDK's first export does (a control: what the SDK costs an application by itself, whoever
 *   records; on Node 20 AsyncLocalStorage then slows every promise);
 * - `sdk-traces` / `sdk-metrics` (with BENCH_SPLIT=1): the SDK of `sdk` with
 *   `openTelemetry({ metrics: false })` / `openTelemetry({ tracing: false })`.
 */
export type TelemetryCase = 'off' | 'api' | 'sdk' | 'absent' | 'sdk-off' | SplitCase;

/** The cases that split (c) into its tracing and its metrics. */
export type SplitCase = 'sdk-traces' | 'sdk-metrics';

/** The cases every run has, in the order of the first round. */
export const TELEMETRY_CASES: readonly TelemetryCase[] = ['off', 'api', 'sdk', 'absent', 'sdk-off'];

export const SPLIT_CASES: readonly SplitCase[] = ['sdk-traces', 'sdk-metrics'];

/** Whether the case registers the SDK. */
export function withSdk(kind: TelemetryCase): boolean {
  return kind.startsWith('sdk');
}

/** One client workload, on the sample `TestService`. */
export type Workload =
  | {
      /** `Echo` (bidi): `perStream` messages per stream, one in flight each. */
      readonly kind: 'bidiEcho';
      readonly streams: number;
      readonly perStream: number;
    }
  | {
      /** `EchoServer`: `streams` streams in all, `concurrency` open at a time. */
      readonly kind: 'serverStream';
      readonly streams: number;
      readonly concurrency: number;
      readonly perStream: number;
    };

/** What the telemetry of a child recorded since its start (zero outside the `sdk` case). */
export interface Recorded {
  /** Spans the no-op exporter was handed. */
  readonly spans: number;
  /** Metric data points the no-op exporter was handed (at its last export). */
  readonly points: number;
  /** Names of the metrics exported, sorted. */
  readonly metrics: readonly string[];
}

/** Driver -> child. */
export type PeerCommand =
  | { readonly cmd: 'run'; readonly id: number; readonly workload: Workload }
  | { readonly cmd: 'stats' }
  | { readonly cmd: 'stop' };

/** What a client workload measured. */
export interface WorkloadResult {
  /** Messages the client received. */
  readonly messages: number;
  readonly elapsedNs: number;
  /** Client CPU time (user + system) during the workload, microseconds. */
  readonly cpuUs: number;
}

/** Child -> driver. */
export type PeerReply =
  | { readonly type: 'ready'; readonly port: number; readonly otelApi: boolean }
  | { readonly type: 'result'; readonly id: number; readonly result: WorkloadResult }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | {
      readonly type: 'stats';
      /** process.cpuUsage(), user + system, microseconds. */
      readonly cpuUs: number;
      readonly recorded: Recorded;
      /** Modules loaded from `@opentelemetry/*` packages (CommonJS cache; the API is CJS). */
      readonly otelModules: number;
    }
  | { readonly type: 'error'; readonly message: string };

/** The bytes of each message's `message` string. */
export const MESSAGE_BYTES = 1024;
export const TEXT = 'x'.repeat(MESSAGE_BYTES);
