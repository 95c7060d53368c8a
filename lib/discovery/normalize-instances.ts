import { DEFAULT_INSTANCE_WEIGHT, instanceKey, type ServiceInstance } from './service-instance.js';

/** An instance as a source may describe it: weight and tags optional, anything may be wrong. */
export interface InstanceEntry {
  readonly host?: unknown;
  readonly port?: unknown;
  readonly weight?: unknown;
  readonly tags?: unknown;
}

/** Called with each entry {@link normalizeInstances} skips, and why. */
export type SkippedEntryHandler = (entry: unknown, reason: string) => void;

/**
 * Cleans a list the way every resolver must: entries without a usable host and port (1-65535)
 * are skipped (reported to `onSkip`), a weight that is not a number > 0 becomes
 * {@link DEFAULT_INSTANCE_WEIGHT} (Kitex), non-string tag values are dropped, and a repeated
 * address keeps its first entry.
 */
export function normalizeInstances(
  entries: Iterable<unknown>,
  onSkip?: SkippedEntryHandler,
): ServiceInstance[] {
  const seen = new Map<string, ServiceInstance>();
  for (const entry of entries) {
    const instance = toInstance(entry);
    if (typeof instance === 'string') {
      onSkip?.(entry, instance);
      continue;
    }
    const key = instanceKey(instance);
    if (seen.has(key)) onSkip?.(entry, `duplicate address ${key}`);
    else seen.set(key, instance);
  }
  return [...seen.values()];
}

/**
 * Parses `host:port`, `[v6]:port`, or `host` with `defaultPort`.
 * @returns undefined when the text is not such an address.
 */
export function parseHostPort(
  text: string,
  defaultPort?: number,
): { host: string; port: number } | undefined {
  const trimmed = text.trim();
  let host: string;
  let portText: string | undefined;
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    if (end < 0) return undefined;
    host = trimmed.slice(1, end);
    const rest = trimmed.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = trimmed.lastIndexOf(':');
    // A bare IPv6 address has several colons and no port.
    if (colon >= 0 && trimmed.indexOf(':') === colon) {
      host = trimmed.slice(0, colon);
      portText = trimmed.slice(colon + 1);
    } else {
      host = trimmed;
    }
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (host === '' || port === undefined || !isPort(port)) return undefined;
  if (portText !== undefined && !/^\d+$/.test(portText)) return undefined;
  return { host, port };
}

function toInstance(entry: unknown): ServiceInstance | string {
  if (typeof entry === 'string') {
    const address = parseHostPort(entry);
    if (address === undefined) return `malformed address '${entry}'`;
    return { ...address, weight: DEFAULT_INSTANCE_WEIGHT, tags: {} };
  }
  if (typeof entry !== 'object' || entry === null) return 'not an object';
  const { host, port, weight, tags } = entry as InstanceEntry;
  if (typeof host !== 'string' || host.trim() === '') return 'no host';
  if (typeof port !== 'number' || !isPort(port)) return `bad port ${String(port)}`;
  return { host: host.trim(), port, weight: toWeight(weight), tags: toTags(tags) };
}

function toWeight(weight: unknown): number {
  return typeof weight === 'number' && Number.isFinite(weight) && weight > 0
    ? weight
    : DEFAULT_INSTANCE_WEIGHT;
}

function toTags(tags: unknown): Readonly<Record<string, string>> {
  if (typeof tags !== 'object' || tags === null) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) if (typeof value === 'string') out[key] = value;
  return out;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}
