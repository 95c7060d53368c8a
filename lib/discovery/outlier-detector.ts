import { instanceKey, type ServiceInstance } from './service-instance.js';

/** Options of {@link OutlierDetector}. */
export interface OutlierDetectorOptions {
  /** Consecutive failed calls (timeouts, broken connections) that eject an instance. Default 5. */
  readonly consecutiveFailures?: number;
  /** First ejection length in ms; each further ejection in a row lasts one more of it. Default 10 000. */
  readonly baseEjectionMs?: number;
  /** Longest ejection in ms. Default 60 000. */
  readonly maxEjectionMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

interface Health {
  failures: number;
  ejections: number;
  ejectedUntil: number;
}

/**
 * Outlier detection: an instance that cannot be dialed, or fails `consecutiveFailures` calls in
 * a row, is left out of picks for a while; once that passes it is probed with real calls
 * again: a success clears its record, a failure ejects it for longer. When every instance is
 * ejected, all are used (better a likely failure than a certain one).
 */
export class OutlierDetector {
  private readonly health = new Map<string, Health>();
  private readonly threshold: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;

  constructor(options: OutlierDetectorOptions = {}) {
    this.threshold = positiveInt(options.consecutiveFailures, 5);
    this.baseMs = positiveInt(options.baseEjectionMs, 10_000);
    this.maxMs = Math.max(this.baseMs, positiveInt(options.maxEjectionMs, 60_000));
    this.now = options.now ?? Date.now;
  }

  /** The instances not ejected now, or all of them when every one is. */
  available(instances: readonly ServiceInstance[]): readonly ServiceInstance[] {
    if (this.health.size === 0) return instances;
    const now = this.now();
    const usable = instances.filter((i) => !this.isEjectedAt(instanceKey(i), now));
    return usable.length === 0 ? instances : usable;
  }

  /** True while `key` (`host:port`) is ejected. */
  isEjected(key: string): boolean {
    return this.isEjectedAt(key, this.now());
  }

  /** A call on `key` succeeded: its record is cleared. */
  recordSuccess(key: string): void {
    this.health.delete(key);
  }

  /**
   * A call on `key` failed in the transport. `connect` marks a failed dial, which ejects at
   * once: nothing listens there. So does any failure of an instance on probation (ejected
   * before, no success since): a silent instance costs one timed-out call per probe, not
   * `consecutiveFailures` of them.
   */
  recordFailure(key: string, connect = false): void {
    let health = this.health.get(key);
    if (health === undefined)
      this.health.set(key, (health = { failures: 0, ejections: 0, ejectedUntil: 0 }));
    const now = this.now();
    if (health.ejectedUntil > now) return;
    health.failures += 1;
    // A success deletes the record, so ejections > 0 means no success since the last ejection.
    const probing = health.ejections > 0;
    if (connect || probing || health.failures >= this.threshold) {
      health.ejections += 1;
      health.failures = 0;
      health.ejectedUntil = now + Math.min(this.maxMs, this.baseMs * health.ejections);
    }
  }

  /** Forgets instances no longer listed. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.health.keys()) if (!keys.has(key)) this.health.delete(key);
  }

  private isEjectedAt(key: string, now: number): boolean {
    const health = this.health.get(key);
    return health !== undefined && health.ejectedUntil > now;
  }
}

function positiveInt(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
