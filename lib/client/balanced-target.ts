import {
  type Balancer,
  filterByTags,
  InstanceWatcher,
  instanceKey,
  noInstanceError,
  OutlierDetector,
  type OutlierDetectorOptions,
  type Resolver,
  type ServiceInstance,
  SmoothWeightedRoundRobinBalancer,
} from '../discovery/index.js';
import type { TTStreamLog } from '../logging/ttstream-logger.js';
import type { PingPongClientTransport, TTStreamClientTransport } from '../transport/index.js';

/** Discovery settings of `TTStreamClient` (its `discovery` option). */
export interface ClientDiscoveryOptions {
  /** Re-resolve the service every this many ms. Default 5000 (Kitex). */
  readonly refreshIntervalMs?: number;
  /**
   * Instances a call tries when connections cannot be established (nothing of the call was sent
   * yet), within the call's deadline. Default 3.
   */
  readonly connectAttempts?: number;
  /**
   * How long connections to an instance that left the list may finish their calls and streams
   * before they are closed, in ms. Default 30 000.
   */
  readonly drainTimeoutMs?: number;
  /**
   * The header (or metainfo key) whose value is a call's key for a consistent-hash balancer.
   * Default none (calls without a key are placed at random).
   */
  readonly hashKey?: string;
  /** Ejection of failing instances. */
  readonly outlierDetection?: OutlierDetectorOptions;
}

/** Default instances tried per call when connecting fails. */
export const DEFAULT_CONNECT_ATTEMPTS = 3;
/** Default grace for connections to a removed instance. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
// How often a draining instance is checked for calls still in flight.
const DRAIN_POLL_MS = 50;

/** What {@link BalancedTarget} needs from the client. @internal */
export interface BalancedTargetSettings {
  readonly service: string;
  readonly resolver: Resolver;
  readonly balancer?: Balancer;
  readonly tags?: Readonly<Record<string, string>>;
  readonly discovery?: ClientDiscoveryOptions;
  readonly log: TTStreamLog;
  /** Creates the streaming transport of one instance (events already wired by the caller). */
  readonly createStream: (instance: ServiceInstance) => TTStreamClientTransport;
  /** Creates the ping-pong transport of one instance. */
  readonly createPingPong: (instance: ServiceInstance) => PingPongClientTransport;
}

/** One listed instance and its lazily created transports. @internal */
export interface InstanceEntry {
  readonly key: string;
  instance: ServiceInstance;
  stream: TTStreamClientTransport | undefined;
  pingPong: PingPongClientTransport | undefined;
}

/**
 * The instances of one service and one connection pool per instance (streaming and ping-pong,
 * each created on first use). Follows the resolver through an {@link InstanceWatcher}: an
 * instance that leaves the list is no longer picked, and its connections are closed once their
 * calls and streams have finished (or after `drainTimeoutMs`). Picks skip instances the
 * outlier detector has ejected.
 * @internal used by `TTStreamClient`; not covered by semver
 */
export class BalancedTarget {
  readonly service: string;
  readonly connectAttempts: number;
  readonly hashKey: string | undefined;
  readonly outliers: OutlierDetector;
  private readonly entries = new Map<string, InstanceEntry>();
  private readonly draining = new Set<Promise<void>>();
  private readonly watcher: InstanceWatcher;
  private readonly balancer: Balancer;
  private readonly drainTimeoutMs: number;
  private closed = false;

  constructor(private readonly settings: BalancedTargetSettings) {
    const discovery = settings.discovery ?? {};
    this.service = settings.service;
    this.connectAttempts = atLeastOne(discovery.connectAttempts, DEFAULT_CONNECT_ATTEMPTS);
    this.drainTimeoutMs = atLeastOne(discovery.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS);
    this.hashKey = discovery.hashKey;
    this.outliers = new OutlierDetector(discovery.outlierDetection);
    this.balancer = settings.balancer ?? new SmoothWeightedRoundRobinBalancer();
    this.watcher = new InstanceWatcher(settings.resolver, settings.service, {
      refreshIntervalMs: discovery.refreshIntervalMs,
    });
    this.watcher.on('change', (list) => {
      this.onChange(list);
    });
    this.watcher.on('error', (error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      settings.log.warn(`Refreshing service '${settings.service}' failed: ${text}`);
    });
  }

  /** Resolves once the first list is known; rejects with the resolver's error before that. */
  async ready(): Promise<void> {
    await this.watcher.start();
  }

  /**
   * Picks the instance of one call attempt among the listed ones (filtered by tags, ejected
   * ones left out), skipping the `tried` addresses.
   * @returns undefined when only tried instances remain.
   * @throws ServiceDiscoveryError `no-instance` when the (filtered) list is empty.
   */
  pick(key: string | undefined, tried: ReadonlySet<string>): InstanceEntry | undefined {
    const listed = filterByTags(this.watcher.instances ?? [], this.settings.tags);
    if (listed.length === 0) throw noInstanceError(this.service, this.settings.tags);
    let candidates = this.outliers.available(listed);
    if (tried.size > 0) {
      candidates = candidates.filter((i) => !tried.has(instanceKey(i)));
      // Ejected instances are still worth a try once the healthy ones failed.
      if (candidates.length === 0) candidates = listed.filter((i) => !tried.has(instanceKey(i)));
    }
    if (candidates.length === 0) return undefined;
    const chosen = this.balancer.pick(candidates, key);
    return chosen === undefined ? undefined : this.entries.get(instanceKey(chosen));
  }

  /** The streaming transport of `entry`, created on first use. */
  streamOf(entry: InstanceEntry): TTStreamClientTransport {
    entry.stream ??= this.settings.createStream(entry.instance);
    return entry.stream;
  }

  /** The ping-pong transport of `entry`, created on first use. */
  pingPongOf(entry: InstanceEntry): PingPongClientTransport {
    entry.pingPong ??= this.settings.createPingPong(entry.instance);
    return entry.pingPong;
  }

  /** The listed instances' addresses, and whether each has open transports (for tests). */
  snapshot(): { readonly listed: readonly string[]; readonly draining: number } {
    return { listed: [...this.entries.keys()], draining: this.draining.size };
  }

  /** Resolves once every instance removed so far has been drained and closed. */
  async drained(): Promise<void> {
    while (this.draining.size > 0) await Promise.all([...this.draining]);
  }

  /** Stops watching and closes every connection (calls in flight fail). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map(closeEntry));
    await this.drained();
  }

  private onChange(list: readonly ServiceInstance[]): void {
    if (this.closed) return;
    const keys = new Set<string>();
    for (const instance of list) {
      const key = instanceKey(instance);
      keys.add(key);
      const entry = this.entries.get(key);
      if (entry === undefined) {
        this.entries.set(key, { key, instance, stream: undefined, pingPong: undefined });
      } else {
        entry.instance = instance;
      }
    }
    for (const [key, entry] of this.entries) {
      if (keys.has(key)) continue;
      this.entries.delete(key);
      this.drain(entry);
    }
    this.outliers.retain(keys);
  }

  /** Closes the entry's transports once nothing runs on them (or the grace period passed). */
  private drain(entry: InstanceEntry): void {
    const deadline = Date.now() + this.drainTimeoutMs;
    const done = (async () => {
      while (!isIdle(entry) && Date.now() < deadline && !this.closed) {
        await new Promise<void>((resolve) => setTimeout(resolve, DRAIN_POLL_MS).unref());
      }
      await closeEntry(entry);
    })().finally(() => {
      this.draining.delete(done);
    });
    this.draining.add(done);
  }
}

function isIdle(entry: InstanceEntry): boolean {
  const streams = entry.stream?.stats().streams ?? 0;
  const pp = entry.pingPong?.stats();
  const busy = pp === undefined ? 0 : pp.connections - pp.idle + pp.waiting;
  return streams === 0 && busy === 0;
}

async function closeEntry(entry: InstanceEntry): Promise<void> {
  await Promise.all([entry.stream?.close(), entry.pingPong?.close()]);
}

function atLeastOne(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

/** The call's hash key: header `name`, else that metainfo key (transient, then persistent). */
export function callHashKey(
  name: string | undefined,
  headers: Readonly<Record<string, string>> | undefined,
  metainfo:
    | {
        readonly transient?: Readonly<Record<string, string>>;
        readonly persistent?: Readonly<Record<string, string>>;
      }
    | undefined,
): string | undefined {
  if (name === undefined) return undefined;
  return headers?.[name] ?? metainfo?.transient?.[name] ?? metainfo?.persistent?.[name];
}
