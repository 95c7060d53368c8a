import { type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { type ClientRpcStart } from '../rpc-lifecycle.js';

/**
 * Trace context travels in Kitex's transient metainfo: string headers named `RPC_TRANSIT_<key>`
 * (`RPC_TRANSIT_traceparent`, `RPC_TRANSIT_b3`, ...), on TTHeader requests and on ttstream HEADER
 * frames alike. These adapt a request's headers to an OpenTelemetry propagator.
 */

/** The prefix of transient metainfo keys. */
export const TRANSIT_PREFIX = 'RPC_TRANSIT_';
/** The prefix of upstream ("stale") transient keys: values that came from the previous hop. */
export const TRANSIT_UPSTREAM_PREFIX = 'RPC_TRANSIT_UPSTREAM_';

/**
 * The transient metainfo of a request, as Kitex's server middleware hands it to the propagator:
 * `RPC_TRANSIT_<k>` and `RPC_TRANSIT_UPSTREAM_<k>` values (transient wins), each `<k>` made
 * lower-case with `_` turned into `-` (so `RPC_TRANSIT_OT_TRACER_TRACEID` reads as
 * `ot-tracer-traceid`). Persistent (`RPC_PERSIST_`) values are not trace context.
 */
export function transitMetainfo(
  headers: Readonly<Record<string, string>>,
): ReadonlyMap<string, string> {
  const transit = new Map<string, string>();
  for (const key in headers) {
    if (!key.startsWith(TRANSIT_PREFIX)) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (key.startsWith(TRANSIT_UPSTREAM_PREFIX)) {
      const name = normalizeKey(key.slice(TRANSIT_UPSTREAM_PREFIX.length));
      if (!transit.has(name)) transit.set(name, value);
    } else {
      // A transient value replaces an upstream one seen before it.
      transit.set(normalizeKey(key.slice(TRANSIT_PREFIX.length)), value);
    }
  }
  return transit;
}

/** One raw transient metainfo value by its exact key (Kitex reads `service.name` this way). */
export function transitValue(
  headers: Readonly<Record<string, string>>,
  key: string,
): string | undefined {
  const [transient, upstream] = prefixedKeys(key);
  return headers[transient] ?? headers[upstream];
}

// The few keys read by name, prefixed once: a fresh concatenation per lookup costs a hashing.
const prefixed = new Map<string, readonly [string, string]>();

function prefixedKeys(key: string): readonly [string, string] {
  let keys = prefixed.get(key);
  if (keys === undefined) {
    keys = [TRANSIT_PREFIX + key, TRANSIT_UPSTREAM_PREFIX + key];
    if (prefixed.size < 64) prefixed.set(key, keys);
  }
  return keys;
}

/** Reads a {@link transitMetainfo} map for `propagation.extract` (keys are matched lower-case). */
export const metainfoGetter: TextMapGetter<ReadonlyMap<string, string>> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? carrier.get(normalizeKey(key)),
};

/** Writes `propagation.inject` output as transient metainfo headers of a client call. */
export const metainfoSetter: TextMapSetter<ClientRpcStart> = {
  set: (carrier, key, value) => {
    carrier.setHeader(TRANSIT_PREFIX + key, value);
  },
};

function normalizeKey(key: string): string {
  // Most keys (`traceparent`, `b3`) are already lower-case without `_`: no new string then.
  return /[A-Z_]/.test(key) ? key.toLowerCase().replaceAll('_', '-') : key;
}
