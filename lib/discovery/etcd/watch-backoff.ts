/** First wait before an etcd watch stream that failed is opened again. */
export const WATCH_RETRY_MIN_MS = 100;

/**
 * Longest wait between attempts to open an etcd watch stream again: 2 s. With `etcd3`'s own
 * default (cockatiel's exponential backoff, growing to 30 s), after a 15 s outage the watch in
 * etcd-watch-retry.spec.ts once stayed without updates for more than 6 s after etcd was back, and
 * once left a retry timer (`close()` does not clear it) that kept the process alive 20 s more.
 */
export const WATCH_RETRY_MAX_MS = 2000;

/**
 * The delays between attempts to open an etcd watch stream again, in the shape `etcd3` takes as
 * `faultHandling.watchBackoff`: `next()` gives the following attempt's delay. 100 ms doubling to
 * {@link WATCH_RETRY_MAX_MS}, each within ±20% so that the clients of a fleet do not all return at
 * the same instant. @internal not covered by semver
 */
export class WatchRetryBackoff {
  /** @param attempt 0 for the initial state (whose `duration` is unused), then 1, 2, ... */
  constructor(
    private readonly attempt = 0,
    private readonly random: () => number = Math.random,
  ) {
    const base = Math.min(WATCH_RETRY_MIN_MS * 2 ** Math.max(0, attempt - 1), WATCH_RETRY_MAX_MS);
    this.duration = attempt === 0 ? 0 : Math.round(base * (0.8 + 0.4 * random()));
  }

  /** Milliseconds to wait before this attempt. */
  readonly duration: number;

  /** The delay of the attempt after this one. */
  next(): WatchRetryBackoff {
    // The count needs no cap: once `2 ** n` overflows to Infinity, `Math.min` still gives the max.
    return new WatchRetryBackoff(this.attempt + 1, this.random);
  }
}
