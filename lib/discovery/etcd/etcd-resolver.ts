import type { Etcd3, Watcher } from 'etcd3';
import { ServiceDiscoveryError } from '../discovery-error.js';
import { normalizeInstances } from '../normalize-instances.js';
import type { Resolver } from '../resolver.js';
import { instanceKey, type ServiceInstance } from '../service-instance.js';
import { openEtcdClient } from './etcd-connection.js';
import type { EtcdConnectionOptions } from './etcd-options.js';
import { errorText } from './etcd-registry-error.js';
import {
  KITEX_ETCD_PREFIX,
  kitexServicePrefix,
  parseKitexEtcdRecord,
} from './kitex-etcd-record.js';

/** Kitex clients re-resolve every 5 s (`client.WithResolver` refresh). */
export const DEFAULT_ETCD_REFRESH_INTERVAL_MS = 5000;

/** A record the resolver skipped, and why. */
export interface MalformedEtcdRecord {
  readonly service: string;
  readonly key: string;
  readonly value: string;
  readonly reason: string;
}

/** Options of {@link EtcdResolver}. */
export interface EtcdResolverOptions extends EtcdConnectionOptions {
  /** How often `watch` re-reads the service even without etcd events (default 5000 ms, as Kitex). */
  readonly refreshIntervalMs?: number;
  /** Also subscribe to etcd's watch for immediate updates (default true); polling stays on. */
  readonly etcdWatch?: boolean;
  /**
   * On a failed read, `resolve` returns the last list read successfully (default true, as Kitex).
   * A read that finds no record once instances were found counts as failed, as in Kitex.
   */
  readonly keepLastOnError?: boolean;
  /** Told of each skipped record once (default: a process warning). */
  readonly onMalformedRecord?: (record: MalformedEtcdRecord) => void;
  /** Told of read failures that were answered with the last good list (default: ignored). */
  readonly onError?: (error: ServiceDiscoveryError) => void;
}

/** Longest wait for an etcd watch to be cancelled on unsubscribe or close. */
const WATCH_CANCEL_WAIT_MS = 1000;

/** Bounds the memory of already-reported malformed records. */
const MAX_REPORTED = 1024;

interface Subscription {
  stopped: boolean;
  signature: string | undefined;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  again: boolean;
  watcher: Promise<Watcher | undefined> | undefined;
}

/**
 * Finds instances in etcd from the records kitex-contrib `registry-etcd` writes
 * (`kitex/registry-etcd/<service>/<host:port>` → `{"network","address","weight","tags"}`), so a
 * Node client finds Go servers and the other way round. Malformed records are skipped and
 * reported; a failed read keeps the last good list. `etcd3` is imported on first use.
 */
export class EtcdResolver implements Resolver {
  private client: Promise<Etcd3> | undefined;
  private readonly lastGood = new Map<string, readonly ServiceInstance[]>();
  private readonly reported = new Map<string, string>();
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  constructor(private readonly options: EtcdResolverOptions) {
    const interval = options.refreshIntervalMs ?? DEFAULT_ETCD_REFRESH_INTERVAL_MS;
    if (!(interval > 0)) throw new RangeError(`refreshIntervalMs must be > 0, got ${interval}`);
  }

  /** Reads the service's records now; on failure, the last good list if there is one. */
  async resolve(service: string): Promise<readonly ServiceInstance[]> {
    try {
      return await this.read(service);
    } catch (error) {
      const failure = this.readError(service, error);
      const last = this.lastGood.get(service);
      if (last === undefined || this.options.keepLastOnError === false) throw failure;
      this.options.onError?.(failure);
      return last;
    }
  }

  /**
   * Calls `onChange` with the first list read, then whenever it changes: re-read every
   * `refreshIntervalMs` and on every etcd event under the service's prefix. Failed reads keep
   * the list (reported to `onError`). Returns the unsubscribe function.
   */
  watch(service: string, onChange: (instances: readonly ServiceInstance[]) => void): () => void {
    const sub: Subscription = {
      stopped: this.closed,
      signature: undefined,
      timer: undefined,
      running: false,
      again: false,
      watcher: undefined,
    };
    if (sub.stopped) return () => undefined;
    this.subscriptions.add(sub);
    const refresh = (): void => void this.refresh(service, sub, onChange);
    if (this.options.etcdWatch !== false) sub.watcher = this.openWatcher(service, sub, refresh);
    refresh();
    return () => {
      void this.stop(sub);
    };
  }

  /** Stops every watch and closes the etcd connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const watchers = [...this.subscriptions].map((sub) => this.stop(sub));
    await Promise.all(watchers);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) (await client.catch(() => undefined))?.close();
  }

  private async read(service: string): Promise<readonly ServiceInstance[]> {
    if (service === '' || service.includes('/')) {
      throw new RangeError(`service name '${service}' is empty or contains '/'`);
    }
    if (this.closed) throw new Error('the etcd resolver is closed');
    const prefix = kitexServicePrefix(service, this.options.prefix ?? KITEX_ETCD_PREFIX);
    const response = await (await this.etcd()).getAll().prefix(prefix).exec();
    const parsed: ServiceInstance[] = [];
    const keys = new Map<ServiceInstance, string>();
    for (const kv of response.kvs) {
      const key = kv.key.toString('utf8');
      const result = parseKitexEtcdRecord(kv.value);
      if (result.ok) {
        parsed.push(result.instance);
        keys.set(result.instance, key);
      } else this.report(service, key, kv.value.toString('utf8'), result.reason);
    }
    const instances = normalizeInstances(parsed, (entry, reason) => {
      const key = keys.get(entry as ServiceInstance) ?? '';
      this.report(service, key, instanceKey(entry as ServiceInstance), reason);
    });
    // As kitex-contrib's resolver: a prefix that empties is an error, so the last list is kept
    // (an etcd restored empty must not take every instance away); only a first read may be empty.
    const last = this.lastGood.get(service);
    if (instances.length === 0 && last !== undefined && last.length > 0) {
      throw new ServiceDiscoveryError('resolve', service, `no instance remains for ${service}`);
    }
    this.lastGood.set(service, instances);
    return instances;
  }

  private async refresh(
    service: string,
    sub: Subscription,
    onChange: (instances: readonly ServiceInstance[]) => void,
  ): Promise<void> {
    if (isStopped(sub)) return;
    if (sub.running) {
      sub.again = true; // one more read after the current one, for events that raced it
      return;
    }
    sub.running = true;
    clearTimeout(sub.timer);
    try {
      do {
        sub.again = false;
        let instances: readonly ServiceInstance[] | undefined;
        try {
          instances = await this.read(service);
        } catch (error) {
          if (!isStopped(sub)) this.options.onError?.(this.readError(service, error));
        }
        if (instances === undefined || isStopped(sub)) continue;
        const signature = JSON.stringify(instances);
        if (signature !== sub.signature) {
          sub.signature = signature;
          onChange(instances);
        }
      } while (rerunRequested(sub) && !isStopped(sub));
    } finally {
      sub.running = false;
      if (!isStopped(sub)) {
        const interval = this.options.refreshIntervalMs ?? DEFAULT_ETCD_REFRESH_INTERVAL_MS;
        sub.timer = setTimeout(() => void this.refresh(service, sub, onChange), interval);
        sub.timer.unref();
      }
    }
  }

  private async openWatcher(
    service: string,
    sub: Subscription,
    refresh: () => void,
  ): Promise<Watcher | undefined> {
    try {
      const prefix = kitexServicePrefix(service, this.options.prefix ?? KITEX_ETCD_PREFIX);
      const etcd = await this.etcd();
      if (isStopped(sub)) return undefined;
      // watcher() rather than create(): the Watcher exists (and can be cancelled) before it
      // connects, so a watch on an unreachable etcd does not retry forever after close().
      const watcher = etcd.watch().prefix(prefix).watcher();
      // Any change, or a (re)connect after etcd was away, means: read the prefix again.
      watcher.on('put', refresh);
      watcher.on('delete', refresh);
      watcher.on('connected', refresh);
      watcher.on('error', (error) => {
        this.options.onError?.(this.readError(service, error));
      });
      return watcher;
    } catch (error) {
      // Polling still runs; the watch only makes updates faster.
      this.options.onError?.(this.readError(service, error));
      return undefined;
    }
  }

  private async stop(sub: Subscription): Promise<void> {
    if (sub.stopped && !this.subscriptions.has(sub)) return;
    sub.stopped = true;
    clearTimeout(sub.timer);
    this.subscriptions.delete(sub);
    // A watch still connecting (etcd away) must not hold up unsubscribe/close: bounded wait.
    const cancelled = sub.watcher?.then((watcher) => watcher?.cancel()).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      cancelled,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, WATCH_CANCEL_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  private etcd(): Promise<Etcd3> {
    if (this.client === undefined) {
      const opening = openEtcdClient(this.options);
      // A failed open (etcd3 missing, bad options) is retried on the next call.
      opening.catch(() => {
        if (this.client === opening) this.client = undefined;
      });
      this.client = opening;
    }
    return this.client;
  }

  private readError(service: string, error: unknown): ServiceDiscoveryError {
    if (error instanceof ServiceDiscoveryError) return error;
    const prefix = kitexServicePrefix(service, this.options.prefix ?? KITEX_ETCD_PREFIX);
    return new ServiceDiscoveryError(
      'resolve',
      service,
      `cannot read etcd prefix '${prefix}' for service '${service}': ${errorText(error)}`,
      { cause: error },
    );
  }

  private report(service: string, key: string, value: string, reason: string): void {
    // Each bad record is reported once per distinct value, not on every 5 s refresh.
    const id = `${key}\u0000${reason}`;
    if (this.reported.get(id) === value) return;
    if (this.reported.size >= MAX_REPORTED) this.reported.clear();
    this.reported.set(id, value);
    const record: MalformedEtcdRecord = { service, key, value, reason };
    if (this.options.onMalformedRecord !== undefined) this.options.onMalformedRecord(record);
    else {
      process.emitWarning(`etcd record '${key}' skipped: ${reason}`, {
        code: 'TTSTREAM_ETCD_MALFORMED_RECORD',
      });
    }
  }
}

/** Read through a call so that checks after an `await` are not narrowed away by the linter. */
function isStopped(sub: Subscription): boolean {
  return sub.stopped;
}

/** Whether an event arrived while a read was running (set from another call). */
function rerunRequested(sub: Subscription): boolean {
  return sub.again;
}
