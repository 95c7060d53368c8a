import { EventEmitter } from 'node:events';
import { normalizeInstances } from './normalize-instances.js';
import type { Resolver } from './resolver.js';
import type { ServiceInstance } from './service-instance.js';

/** How often a watcher re-resolves by default: 5 s, Kitex's refresh interval. */
export const DEFAULT_REFRESH_INTERVAL_MS = 5000;

/** Options of {@link InstanceWatcher}. */
export interface InstanceWatcherOptions {
  /** Re-resolve every this many ms (also when the resolver can watch, as a backstop). Default 5000. */
  readonly refreshIntervalMs?: number;
}

/** Events of {@link InstanceWatcher}. */
export interface InstanceWatcherEvents {
  /** The list changed (addresses, weights or tags). */
  change: [instances: readonly ServiceInstance[]];
  /** A refresh failed; the last good list stays in use. */
  error: [error: unknown];
}

/**
 * Keeps the current instance list of one service: resolves it at {@link start}, again every
 * `refreshIntervalMs`, and on each push when the resolver has `watch()`. A failed refresh keeps
 * the last good list (Kitex does the same), so a registry outage does not stop calls.
 */
export class InstanceWatcher extends EventEmitter<InstanceWatcherEvents> {
  private list: readonly ServiceInstance[] | undefined;
  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private first: Promise<readonly ServiceInstance[]> | undefined;
  private closed = false;
  private readonly intervalMs: number;

  constructor(
    private readonly resolver: Resolver,
    readonly service: string,
    options: InstanceWatcherOptions = {},
  ) {
    super();
    const interval = options.refreshIntervalMs;
    this.intervalMs =
      interval !== undefined && Number.isFinite(interval) && interval > 0
        ? interval
        : DEFAULT_REFRESH_INTERVAL_MS;
  }

  /** The last good list, or undefined before the first successful resolve. */
  get instances(): readonly ServiceInstance[] | undefined {
    return this.list;
  }

  /**
   * Starts watching (once) and resolves with the first list. Until one resolve succeeds, each
   * call retries the resolver, so a caller sees the resolver's error rather than a stale promise.
   */
  start(): Promise<readonly ServiceInstance[]> {
    if (this.list !== undefined) return Promise.resolve(this.list);
    if (this.first !== undefined) return this.first;
    if (this.timer === undefined && !this.closed) this.arm();
    const first = this.refresh(true).finally(() => {
      if (this.first === first) this.first = undefined;
    });
    this.first = first;
    return first;
  }

  /**
   * Resolves now. With `rethrow` a failure rejects; otherwise it is emitted as `error` (when
   * someone listens) and the last good list is returned.
   */
  async refresh(rethrow = false): Promise<readonly ServiceInstance[]> {
    try {
      const list = await this.resolver.resolve(this.service);
      this.accept(list);
    } catch (error) {
      if (rethrow && this.list === undefined) throw error;
      if (this.listenerCount('error') > 0) this.emit('error', error);
    }
    return this.list ?? [];
  }

  /** Stops the timer and the resolver's watch. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private arm(): void {
    this.timer = setInterval(() => {
      void this.refresh();
    }, this.intervalMs);
    // A client left open must not keep the process alive.
    this.timer.unref();
    if (this.resolver.watch !== undefined) {
      this.unwatch = this.resolver.watch(this.service, (list) => {
        if (!this.closed) this.accept(list);
      });
    }
  }

  private accept(raw: readonly ServiceInstance[]): void {
    if (this.closed) return;
    const list = normalizeInstances(raw);
    const signature = list
      .map((i) => `${i.host}|${i.port}|${i.weight}|${JSON.stringify(i.tags)}`)
      .join(',');
    if (this.list !== undefined && signature === this.signature) return;
    this.list = list;
    this.signature = signature;
    this.emit('change', list);
  }
}
