import type {
  Counter,
  Histogram,
  Meter,
  ObservableUpDownCounter,
  UpDownCounter,
  ValueType,
} from '@opentelemetry/api';
import { type RpcSide } from '../rpc-lifecycle.js';
import { type OtelApi } from './load-otel-api.js';
import { type SemconvMode } from './rpc-attributes.js';

/**
 * The instruments of the OpenTelemetry meter, and their names: what a dashboard queries.
 *
 * - `rpc.server.duration` / `rpc.client.duration`: as kitex-contrib/obs-opentelemetry records
 *   them (float histograms of milliseconds, no unit set, default buckets), so that one panel shows
 *   Go and Node hops alike. With `OTEL_SEMCONV_STABILITY_OPT_IN=rpc` the stable
 *   `rpc.{server,client}.call.duration` (seconds) replace them; `rpc/dup` records both.
 * - `rpc.{server,client}.requests_per_rpc` / `responses_per_rpc`: messages per call or stream
 *   (the pre-stable RPC conventions; obs-opentelemetry defines the names but records nothing).
 * - `ttstream.*`: ours, nothing in Kitex or the conventions matches them.
 */

/** The meter's instrumentation scope (the tracer's too). No version: one kept by hand goes stale. */
export const METER_NAME = 'nestjs-ttstream';

/** `rpc.<side>.duration`: obs-opentelemetry's name, milliseconds. */
export const durationName = (side: RpcSide) => `rpc.${side}.duration`;
/** `rpc.<side>.call.duration`: the stable conventions' name, seconds. */
export const callDurationName = (side: RpcSide) => `rpc.${side}.call.duration`;
/** Messages the side received per RPC (server) or sent (client): the RPC's requests. */
export const requestsPerRpcName = (side: RpcSide) => `rpc.${side}.requests_per_rpc`;
/** Messages the side sent (server) or received (client): the RPC's responses. */
export const responsesPerRpcName = (side: RpcSide) => `rpc.${side}.responses_per_rpc`;
/** Calls and streams in progress. */
export const activeRpcsName = (side: RpcSide) => `ttstream.${side}.active_rpcs`;
/** RPCs that did not end `ok`, by outcome and code. */
export const rpcErrorsName = (side: RpcSide) => `ttstream.${side}.errors`;
/** Connections a server holds open, or a client has open (both protocols). */
export const openConnectionsName = (side: RpcSide) => `ttstream.${side}.open_connections`;
/** Bytes the side's connections read and wrote, counted when each closes. */
export const networkIoName = (side: RpcSide) => `ttstream.${side}.network.io`;

/** The semantic conventions' bucket advice for `rpc.*.call.duration` (seconds). */
const CALL_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
// A unary call lands in (0, 1]; streams spread over the rest.
const MESSAGE_COUNT_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** The instruments of one side. */
export interface SideInstruments {
  /** `rpc.<side>.duration` (ms); absent in the `stable` mode. */
  readonly duration: Histogram | undefined;
  /** `rpc.<side>.call.duration` (s); absent in the `old` mode. */
  readonly callDuration: Histogram | undefined;
  readonly requestsPerRpc: Histogram;
  readonly responsesPerRpc: Histogram;
  /** Observed at collection (from the series table), not added to per RPC. */
  readonly active: ObservableUpDownCounter;
  readonly errors: Counter;
  /** `ttstream.<side>.open_connections`. */
  readonly openConnections: UpDownCounter;
  /** `ttstream.<side>.network.io`. */
  readonly networkIo: Counter;
}

/** Every instrument of the plug-in, made once per meter. */
export interface RpcInstruments {
  readonly semconv: SemconvMode;
  readonly server: SideInstruments;
  readonly client: SideInstruments;
}

/**
 * Creates the instruments on `meter` (`api` gives the value-type enum: the API is an optional
 * peer, only ever loaded at run time).
 */
export function createRpcInstruments(
  api: OtelApi,
  meter: Meter,
  semconv: SemconvMode,
): RpcInstruments {
  const int = api.ValueType.INT;
  return {
    semconv,
    server: sideInstruments(meter, 'server', semconv, int),
    client: sideInstruments(meter, 'client', semconv, int),
  };
}

function sideInstruments(
  meter: Meter,
  side: RpcSide,
  semconv: SemconvMode,
  int: ValueType,
): SideInstruments {
  const inbound = side === 'server' ? 'inbound' : 'outbound';
  return {
    // No unit, as obs-opentelemetry: a unit would change the exported name (Prometheus appends
    // `_milliseconds`) and split the Go and Node series.
    duration:
      semconv === 'stable'
        ? undefined
        : meter.createHistogram(durationName(side), {
            description: `Measures the duration of ${inbound} RPC, in milliseconds.`,
          }),
    callDuration:
      semconv === 'old'
        ? undefined
        : meter.createHistogram(callDurationName(side), {
            description: `Measures the duration of ${inbound} remote procedure calls (RPC).`,
            unit: 's',
            advice: { explicitBucketBoundaries: CALL_DURATION_BUCKETS },
          }),
    requestsPerRpc: meter.createHistogram(requestsPerRpcName(side), {
      description: `Measures the number of messages ${side === 'server' ? 'received' : 'sent'} per RPC.`,
      unit: '{count}',
      valueType: int,
      advice: { explicitBucketBoundaries: MESSAGE_COUNT_BUCKETS },
    }),
    responsesPerRpc: meter.createHistogram(responsesPerRpcName(side), {
      description: `Measures the number of messages ${side === 'server' ? 'sent' : 'received'} per RPC.`,
      unit: '{count}',
      valueType: int,
      advice: { explicitBucketBoundaries: MESSAGE_COUNT_BUCKETS },
    }),
    active: meter.createObservableUpDownCounter(activeRpcsName(side), {
      description: `${side === 'server' ? 'Inbound' : 'Outbound'} calls and streams in progress.`,
      unit: '{rpc}',
      valueType: int,
    }),
    errors: meter.createCounter(rpcErrorsName(side), {
      description: `${side === 'server' ? 'Inbound' : 'Outbound'} RPCs that ended with a business error, an exception, a cancel or a timeout.`,
      unit: '{rpc}',
      valueType: int,
    }),
    openConnections: meter.createUpDownCounter(openConnectionsName(side), {
      description: `Connections a ${side === 'server' ? 'server holds' : 'client has'} open (ttstream and ping-pong).`,
      unit: '{connection}',
      valueType: int,
    }),
    networkIo: meter.createCounter(networkIoName(side), {
      description: `Bytes a ${side}'s connections read and wrote, counted when each closes.`,
      unit: 'By',
      valueType: int,
    }),
  };
}
