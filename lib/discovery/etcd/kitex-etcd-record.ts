import { isIPv6 } from 'node:net';
import { parseHostPort } from '../normalize-instances.js';
import { DEFAULT_INSTANCE_WEIGHT, type ServiceInstance } from '../service-instance.js';

/** The key prefix kitex-contrib `registry-etcd` writes under (its `WithEtcdServicePrefix` default). */
export const KITEX_ETCD_PREFIX = 'kitex/registry-etcd';

/**
 * One record as kitex-contrib `registry-etcd` stores it: the value of the key
 * `<prefix>/<ServiceName>/<host:port>`, JSON with exactly these four fields in this order.
 */
export interface KitexEtcdRecord {
  /** `tcp` (Kitex also knows `unix`, which we cannot dial). */
  readonly network: string;
  /** `ip:port`; an IPv6 host in brackets when we write it. */
  readonly address: string;
  /** Kitex's `registry.Info.Weight`; readers map <= 0 to 10. */
  readonly weight: number;
  /** `null` when the Go server has no tags. */
  readonly tags: Readonly<Record<string, string>> | null;
}

/** `<prefix>/<service>/`: what a resolver reads with a prefix range. */
export function kitexServicePrefix(service: string, prefix = KITEX_ETCD_PREFIX): string {
  return `${prefix}/${service}/`;
}

/** `<prefix>/<service>/<address>`: the key of one instance. */
export function kitexServiceKey(
  service: string,
  address: string,
  prefix = KITEX_ETCD_PREFIX,
): string {
  return kitexServicePrefix(service, prefix) + address;
}

/** The record's value as Go's `json.Marshal(&instanceInfo{...})` writes it (same field order). */
export function encodeKitexEtcdRecord(record: KitexEtcdRecord): string {
  return JSON.stringify({
    network: record.network,
    address: record.address,
    weight: record.weight,
    tags: record.tags,
  });
}

/** The instance a record names, or why it cannot be used. */
export type KitexEtcdRecordParse =
  | { readonly ok: true; readonly instance: ServiceInstance; readonly record: KitexEtcdRecord }
  | { readonly ok: false; readonly reason: string };

const TCP_NETWORKS = new Set(['tcp', 'tcp4', 'tcp6']);

/**
 * Reads one value the way kitex-contrib's resolver does (`json.Unmarshal` into its
 * `instanceInfo`, weight <= 0 becomes 10): unknown fields are ignored and field names match
 * case-insensitively as in Go, but a field of the wrong type makes the whole record unusable.
 * Beyond Kitex, a record we could not dial (not TCP, no port) is refused here rather than at
 * call time.
 */
export function parseKitexEtcdRecord(value: string | Buffer): KitexEtcdRecordParse {
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const object = json as Record<string, unknown>;
  const network = field(object, 'network') ?? '';
  const address = field(object, 'address') ?? '';
  const weight = field(object, 'weight') ?? 0;
  const tags = field(object, 'tags') ?? null;
  if (typeof network !== 'string') return { ok: false, reason: 'network is not a string' };
  if (typeof address !== 'string') return { ok: false, reason: 'address is not a string' };
  // Go's int: a fraction or a string fails json.Unmarshal.
  if (typeof weight !== 'number' || !Number.isSafeInteger(weight)) {
    return { ok: false, reason: `weight ${JSON.stringify(weight)} is not an integer` };
  }
  if (tags !== null && (typeof tags !== 'object' || Array.isArray(tags))) {
    return { ok: false, reason: 'tags is not an object' };
  }
  const tagEntries = Object.entries((tags ?? {}) as Record<string, unknown>);
  if (tagEntries.some(([, v]) => typeof v !== 'string')) {
    return { ok: false, reason: 'a tag value is not a string' };
  }
  if (!TCP_NETWORKS.has(network)) {
    return { ok: false, reason: `network '${network}' is not tcp` };
  }
  const hostPort = parseRecordAddress(address);
  if (hostPort === undefined) return { ok: false, reason: `malformed address '${address}'` };
  const tagRecord = Object.fromEntries(tagEntries) as Record<string, string>;
  return {
    ok: true,
    record: { network, address, weight, tags: tags === null ? null : tagRecord },
    instance: {
      host: hostPort.host,
      port: hostPort.port,
      weight: weight > 0 ? weight : DEFAULT_INSTANCE_WEIGHT,
      tags: tagRecord,
    },
  };
}

/**
 * `host:port` or `[v6]:port`; also `v6:port` without brackets, which kitex-contrib's registry
 * writes for an IPv6 host (`fmt.Sprintf("%s:%d", host, port)`): the last group is the port.
 */
export function parseRecordAddress(address: string): { host: string; port: number } | undefined {
  const plain = parseHostPort(address);
  if (plain !== undefined) return plain;
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = address.slice(0, colon);
  if (!isIPv6(host)) return undefined;
  return parseHostPort(`[${host}]${address.slice(colon)}`);
}

/** Go's encoding/json field lookup: the exact name first, then a case-insensitive match. */
function field(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}
