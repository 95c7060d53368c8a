import type { Attributes, MeterProvider } from '@opentelemetry/api';
import {
  type ConnectionObserver,
  type ConnectionStart,
  type RpcEndStats,
  type RpcObserver,
  type RpcOutcome,
  type RpcStart,
  type TTStreamTelemetry,
} from '../rpc-lifecycle.js';
import { type OtelApi } from './load-otel-api.js';
import { transitValue } from './metainfo-carrier.js';
import { type RpcSeries, RpcSeriesTable } from './rpc-series.js';
import {
  createRpcInstruments,
  METER_NAME,
  type RpcInstruments,
  type SideInstruments,
} from './otel-metric-instruments.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_KITEX_BIZ_STATUS_CODE,
  ATTR_KITEX_ERROR_CODE,
  ATTR_PEER_DEPLOYMENT_ENVIRONMENT,
  ATTR_PEER_SERVICE,
  ATTR_PEER_SERVICE_NAMESPACE,
  ATTR_REQUEST_PROTOCOL,
  ATTR_RPC_METHOD,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_STATUS_CODE,
  isErrorOutcome,
  peerServiceAttributes,
  responseStatusCode,
  rpcAttributes,
  type SemconvMode,
  semconvModeFromEnv,
  statusCodeName,
} from './rpc-attributes.js';

/** Options of {@link otelMetrics}. */
export interface OtelMetricsOptions {
  /** Record to this provider. Default: the global one, looked up per RPC (no SDK: no cost). */
  readonly meterProvider?: MeterProvider | undefined;
  /** Which RPC conventions to emit. Default: from `OTEL_SEMCONV_STABILITY_OPT_IN`. */
  readonly semconv?: SemconvMode | undefined;
  /** This process's service name, the server's `rpc.service` (as Kitex). Default: the IDL's. */
  readonly serviceName?: string | undefined;
  /**
   * How many distinct caller identities (`peer.service` and friends, which any client may send in
   * metainfo) get series of their own; later ones are recorded as `_OTHER`. Default 100.
   */
  readonly maxPeerServices?: number | undefined;
}

/** The default of {@link OtelMetricsOptions.maxPeerServices}. */
export const DEFAULT_MAX_PEER_SERVICES = 100;
/** The value a caller identity beyond the limit is recorded as. */
export const OTHER_PEER_SERVICE = '_OTHER';

/**
 * The outcome of an RPC counted in `ttstream.<side>.errors`: `biz-error`, `exception`, `cancel`
 * or `timeout`.
 */
export const ATTR_TTSTREAM_OUTCOME = 'ttstream.outcome';
/** `network.io.direction` of `ttstream.<side>.network.io`: `receive` or `transmit`. */
export const ATTR_NETWORK_IO_DIRECTION = 'network.io.direction';

// Metric points keep only low-cardinality RPC attributes: no peer address or port (a client's
// port changes per connection), no business message, no cancel path.
const POINT_KEYS: ReadonlySet<string> = new Set([
  ATTR_RPC_SYSTEM,
  ATTR_RPC_SERVICE,
  ATTR_RPC_METHOD,
  ATTR_REQUEST_PROTOCOL,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_PEER_SERVICE,
  ATTR_PEER_SERVICE_NAMESPACE,
  ATTR_PEER_DEPLOYMENT_ENVIRONMENT,
]);

const RECEIVE: Attributes = Object.freeze({ [ATTR_NETWORK_IO_DIRECTION]: 'receive' });
const TRANSMIT: Attributes = Object.freeze({ [ATTR_NETWORK_IO_DIRECTION]: 'transmit' });
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * OpenTelemetry metrics as a telemetry plug-in: per RPC, the duration (`rpc.server.duration` /
 * `rpc.client.duration` in ms, with the attributes Kitex's obs-opentelemetry gives them, so Go
 * and Node hops share one dashboard), messages per RPC, RPCs in progress and failures by code;
 * per connection (accepted by a server, opened by a client), the open count and bytes read and
 * written.
 *
 * Without a `meterProvider` option it records to the global provider, looked up per RPC: until
 * an SDK registers one, `start` returns undefined and nothing is allocated.
 */
export function otelMetrics(api: OtelApi, options: OtelMetricsOptions = {}): TTStreamTelemetry {
  const semconv = options.semconv ?? semconvModeFromEnv();
  const maxPeers = options.maxPeerServices ?? DEFAULT_MAX_PEER_SERVICES;
  if (!Number.isSafeInteger(maxPeers) || maxPeers < 0) {
    throw new RangeError(`maxPeerServices must be an integer >= 0, got ${String(maxPeers)}`);
  }
  const peers = new BoundedValues(maxPeers);
  const context: PointContext = { serviceName: options.serviceName, peers };
  const noopMeter = api.createNoopMeter();
  let provider: MeterProvider | undefined;
  let current: Recording | undefined;
  // The API has no proxy meter provider: a meter got before the SDK registered stays a no-op.
  // So follow the global provider, making the instruments again when it changes.
  const recording = (): Recording | undefined => {
    const now = options.meterProvider ?? api.metrics.getMeterProvider();
    if (now !== provider) {
      provider = now;
      const meter = now.getMeter(METER_NAME);
      current = meter === noopMeter ? undefined : startRecording(api, meter, semconv, context);
    }
    return current;
  };
  return {
    start(event) {
      const found = recording();
      return found === undefined ? undefined : rpcObserver(found, event, context);
    },
    connection(event: ConnectionStart) {
      const found = recording();
      return found === undefined ? undefined : connectionObserver(found.instruments, event);
    },
  };
}

/** What the point attributes of every RPC of one plug-in share. */
interface PointContext {
  readonly serviceName: string | undefined;
  readonly peers: BoundedValues;
}

/** The instruments of one meter, and the RPC series each side has recorded to. */
interface Recording {
  readonly instruments: RpcInstruments;
  readonly server: RpcSeriesTable;
  readonly client: RpcSeriesTable;
}

function startRecording(
  api: OtelApi,
  meter: ReturnType<MeterProvider['getMeter']>,
  semconv: SemconvMode,
  context: PointContext,
): Recording {
  const instruments = createRpcInstruments(api, meter, semconv);
  const build = (event: RpcStart) => ({
    old: semconv === 'stable' ? undefined : pointAttributes(event, 'old', context),
    stable: semconv === 'old' ? undefined : pointAttributes(event, 'stable', context),
  });
  const server = new RpcSeriesTable(build);
  const client = new RpcSeriesTable(build);
  // RPCs in progress are read from the tables when a reader collects, not added to per RPC.
  for (const [side, table] of [
    [instruments.server, server],
    [instruments.client, client],
  ] as const) {
    side.active.addCallback((result) => {
      table.report((value, attributes) => {
        result.observe(value, attributes);
      });
    });
  }
  return { instruments, server, client };
}

function rpcObserver(recording: Recording, event: RpcStart, context: PointContext): RpcObserver {
  const server = event.side === 'server';
  const side = server ? recording.instruments.server : recording.instruments.client;
  const series = (server ? recording.server : recording.client).of(event, peerKey(event, context));
  series.active++;
  let ended = false;
  return {
    end(outcome: RpcOutcome, stats: RpcEndStats) {
      if (ended) return;
      ended = true;
      series.active--;
      const { old, stable } = series;
      if (old !== undefined && side.duration !== undefined) {
        const status = statusCodeName(outcome);
        side.duration.record(
          stats.durationMs,
          derived(series, status, () => ({ ...old, [ATTR_STATUS_CODE]: status })),
        );
      }
      if (stable !== undefined && side.callDuration !== undefined) {
        const status = responseStatusCode(outcome);
        const type = isErrorOutcome(outcome) ? errorType(outcome, status) : '';
        side.callDuration.record(
          stats.durationMs / 1000,
          derived(series, `${status}\u0000${type}`, () => stableOutcome(stable, outcome)),
        );
      }
      // Messages per RPC are those of streams: a unary or oneway call is 1 by definition.
      if (event.kind !== 'unary' && event.kind !== 'oneway') {
        recordMessages(side, server, stats, series.common);
      }
      if (outcome.kind !== 'ok') side.errors.add(1, errorAttributes(series.common, outcome));
    },
  };
}

/** Derived attribute sets kept per series (status codes, error types); more are not kept. */
const MAX_DERIVED = 32;

function derived(series: RpcSeries, key: string, make: () => Attributes): Attributes {
  const found = series.derived.get(key);
  if (found !== undefined) return found;
  const made = make();
  if (series.derived.size < MAX_DERIVED) series.derived.set(key, made);
  return made;
}

/** The caller's identity as admitted (bounded) for metric points; '' on the client side. */
function peerKey(event: RpcStart, context: PointContext): string {
  if (event.side !== 'server') return '';
  const peer = peerServiceAttributes((key) => transitValue(event.headers, key));
  let key = '';
  for (const name in peer) {
    const value = peer[name];
    if (typeof value === 'string') key += `${name}=${context.peers.admit(value)}\u0000`;
  }
  return key;
}

function connectionObserver(
  instruments: RpcInstruments,
  event: ConnectionStart,
): ConnectionObserver {
  const side = event.side === 'client' ? instruments.client : instruments.server;
  // No peer attribute: one series per client address would grow without bound.
  side.openConnections.add(1, NO_ATTRIBUTES);
  let ended = false;
  return {
    end(stats) {
      if (ended) return;
      ended = true;
      side.openConnections.add(-1, NO_ATTRIBUTES);
      side.networkIo.add(stats.bytesIn, RECEIVE);
      side.networkIo.add(stats.bytesOut, TRANSMIT);
    },
  };
}

/** The RPC's attributes of one convention, cut down to those fit for metric points. */
function pointAttributes(
  event: RpcStart,
  semconv: 'old' | 'stable',
  context: PointContext,
): Attributes {
  const all = rpcAttributes(event, { semconv, localService: context.serviceName });
  const point: Attributes = {};
  for (const key in all) if (POINT_KEYS.has(key)) point[key] = all[key];
  // The caller's identity, sent by a Kitex client (obs-opentelemetry has it on its points too).
  // Any client may send any value: bound the series it can open.
  if (event.side === 'server') {
    const peer = peerServiceAttributes((key) => transitValue(event.headers, key));
    for (const key in peer) {
      const value = peer[key];
      if (typeof value === 'string') point[key] = context.peers.admit(value);
    }
  }
  return point;
}

/** Admits up to `limit` distinct values; any other is {@link OTHER_PEER_SERVICE}. */
class BoundedValues {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  admit(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) return OTHER_PEER_SERVICE;
    this.seen.add(value);
    return value;
  }
}

function stableOutcome(attributes: Attributes, outcome: RpcOutcome): Attributes {
  const status = responseStatusCode(outcome);
  // Not a spread: on Node 20 a spread's copy that then gets more keys costs about 1 µs.
  const result: Attributes = Object.assign({}, attributes);
  result[ATTR_RPC_RESPONSE_STATUS_CODE] = status;
  if (isErrorOutcome(outcome)) result[ATTR_ERROR_TYPE] = errorType(outcome, status);
  return result;
}

function recordMessages(
  side: SideInstruments,
  server: boolean,
  stats: RpcEndStats,
  attributes: Attributes,
): void {
  side.requestsPerRpc.record(server ? stats.receivedMessages : stats.sentMessages, attributes);
  side.responsesPerRpc.record(server ? stats.sentMessages : stats.receivedMessages, attributes);
}

/**
 * `ttstream.outcome` and the failure's code: `kitex.biz_status_code` for a business error,
 * `kitex.error_code` (the ttstream code) when the failure has one, and `error.type`.
 */
function errorAttributes(common: Attributes, outcome: RpcOutcome): Attributes {
  const attributes: Attributes = Object.assign({}, common);
  attributes[ATTR_TTSTREAM_OUTCOME] = outcome.kind;
  if (outcome.kind === 'biz-error') {
    attributes[ATTR_KITEX_BIZ_STATUS_CODE] = outcome.code;
  } else if (outcome.kind !== 'ok') {
    if (outcome.code !== undefined) attributes[ATTR_KITEX_ERROR_CODE] = outcome.code;
    attributes[ATTR_ERROR_TYPE] = errorType(outcome, responseStatusCode(outcome));
  }
  return attributes;
}

/** The low-cardinality `error.type`: an exception's class name, else the status code. */
function errorType(outcome: RpcOutcome, status: string): string {
  return outcome.kind === 'exception' && outcome.code === undefined ? outcome.type : status;
}
