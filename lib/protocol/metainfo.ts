/**
 * Kitex metainfo (bytedance/gopkg `cloud/metainfo`) as it travels in a HEADER frame's string
 * pairs: transient values under `RPC_TRANSIT_<k>` (one hop), persistent values under
 * `RPC_PERSIST_<k>` (the whole call chain).
 */

/** Prefix of transient (one-hop) metainfo keys. */
export const METAINFO_TRANSIENT_PREFIX = 'RPC_TRANSIT_';

/** Prefix of persistent (whole-chain) metainfo keys. */
export const METAINFO_PERSISTENT_PREFIX = 'RPC_PERSIST_';

/** Prefix of transient values forwarded from the upstream's upstream; read as transient. */
export const METAINFO_TRANSIENT_UPSTREAM_PREFIX = 'RPC_TRANSIT_UPSTREAM_';

/** Metainfo as plain records (null-prototype objects when produced by this module). */
export interface Metainfo {
  /** Transient values, keyed without prefix. */
  readonly transient: Record<string, string>;
  /** Persistent values, keyed without prefix. */
  readonly persistent: Record<string, string>;
}

/**
 * String header pairs for metainfo: `RPC_TRANSIT_<k>` and `RPC_PERSIST_<k>`. Pairs with an empty
 * key or value are dropped, as Kitex's `WithValue`/`WithPersistentValue` do.
 */
export function metainfoToHeaders(metainfo: Partial<Metainfo>): Map<string, string> {
  const headers = new Map<string, string>();
  add(headers, METAINFO_TRANSIENT_PREFIX, metainfo.transient);
  add(headers, METAINFO_PERSISTENT_PREFIX, metainfo.persistent);
  return headers;
}

/**
 * Metainfo carried by string headers, read as Kitex's `SetMetaInfoFromMap` does: other keys and
 * pairs with an empty key (after the prefix) or value are ignored; `RPC_TRANSIT_UPSTREAM_<k>`
 * is read as transient `<k>` unless `RPC_TRANSIT_<k>` is also present, which wins.
 */
export function headersToMetainfo(headers: ReadonlyMap<string, string>): Metainfo {
  const transient: Record<string, string> = Object.create(null) as Record<string, string>;
  const persistent: Record<string, string> = Object.create(null) as Record<string, string>;
  const upstream = new Map<string, string>();
  for (const [key, value] of headers) {
    if (value === '') continue;
    if (key.startsWith(METAINFO_TRANSIENT_UPSTREAM_PREFIX)) {
      const name = key.slice(METAINFO_TRANSIENT_UPSTREAM_PREFIX.length);
      if (name !== '') upstream.set(name, value);
    } else if (key.startsWith(METAINFO_TRANSIENT_PREFIX)) {
      const name = key.slice(METAINFO_TRANSIENT_PREFIX.length);
      if (name !== '') transient[name] = value;
    } else if (key.startsWith(METAINFO_PERSISTENT_PREFIX)) {
      const name = key.slice(METAINFO_PERSISTENT_PREFIX.length);
      if (name !== '') persistent[name] = value;
    }
  }
  for (const [name, value] of upstream) {
    if (!Object.hasOwn(transient, name)) transient[name] = value;
  }
  return { transient, persistent };
}

function add(
  headers: Map<string, string>,
  prefix: string,
  values: Readonly<Record<string, string>> | undefined,
): void {
  if (values === undefined) return;
  for (const [key, value] of Object.entries(values)) {
    if (key !== '' && value !== '') headers.set(prefix + key, value);
  }
}
