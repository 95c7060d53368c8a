/** Kitex metainfo carried in a HEADER frame, split by kind (prefixes removed). */
export interface TTStreamMetainfo {
  /** `RPC_TRANSIT_<k>` (and `RPC_TRANSIT_UPSTREAM_<k>`) values: one hop only. */
  readonly transient: Readonly<Record<string, string>>;
  /** `RPC_PERSIST_<k>` values: forwarded along the whole call chain. */
  readonly persistent: Readonly<Record<string, string>>;
}

/** The prefix of a transient metainfo key. */
export const METAINFO_TRANSIENT_PREFIX = 'RPC_TRANSIT_';
/** The prefix of a transient key a hop received from its upstream. */
export const METAINFO_UPSTREAM_PREFIX = 'RPC_TRANSIT_UPSTREAM_';
/** The prefix of a persistent metainfo key. */
export const METAINFO_PERSISTENT_PREFIX = 'RPC_PERSIST_';

/**
 * Splits the metainfo out of HEADER string keys as Kitex's `SetMetaInfoFromMap` does; empty keys
 * or values are dropped.
 */
export function metainfoFromHeaders(headers: Readonly<Record<string, string>>): TTStreamMetainfo {
  const transient: Record<string, string> = {};
  const persistent: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === '') continue;
    let name: string | undefined;
    let target = transient;
    if (key.startsWith(METAINFO_UPSTREAM_PREFIX)) name = key.slice(METAINFO_UPSTREAM_PREFIX.length);
    else if (key.startsWith(METAINFO_TRANSIENT_PREFIX))
      name = key.slice(METAINFO_TRANSIENT_PREFIX.length);
    else if (key.startsWith(METAINFO_PERSISTENT_PREFIX)) {
      name = key.slice(METAINFO_PERSISTENT_PREFIX.length);
      target = persistent;
    }
    if (name !== undefined && name !== '') target[name] = value;
  }
  return { transient, persistent };
}

/** HEADER string keys for `metainfo` (`RPC_TRANSIT_<k>`, `RPC_PERSIST_<k>`). */
export function metainfoToHeaders(metainfo: Partial<TTStreamMetainfo>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(metainfo.transient ?? {})) {
    headers[METAINFO_TRANSIENT_PREFIX + k] = v;
  }
  for (const [k, v] of Object.entries(metainfo.persistent ?? {})) {
    headers[METAINFO_PERSISTENT_PREFIX + k] = v;
  }
  return headers;
}
