import { describe, expect, it } from '@jest/globals';
import {
  WATCH_RETRY_MAX_MS,
  WATCH_RETRY_MIN_MS,
  WatchRetryBackoff,
} from '../../../lib/discovery/etcd/watch-backoff.js';

/** The first `count` delays, as etcd3's WatchManager takes them: `initial.next()`, then `.next()`. */
function delays(initial: WatchRetryBackoff, count: number): number[] {
  const out: number[] = [];
  let backoff = initial.next();
  for (let i = 0; i < count; i++) {
    out.push(backoff.duration);
    backoff = backoff.next();
  }
  return out;
}

describe('WatchRetryBackoff (etcd watch retries)', () => {
  it('doubles from 100 ms and stops at 2 s', () => {
    expect(delays(new WatchRetryBackoff(0, () => 0.5), 8)).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000, 2000,
    ]);
    expect(WATCH_RETRY_MIN_MS).toBe(100);
    expect(WATCH_RETRY_MAX_MS).toBe(2000);
  });

  it('spreads each delay within ±20%', () => {
    expect(delays(new WatchRetryBackoff(0, () => 0), 3)).toEqual([80, 160, 320]);
    expect(delays(new WatchRetryBackoff(0, () => 1), 3)).toEqual([120, 240, 480]);
    const random = delays(new WatchRetryBackoff(), 200);
    expect(Math.min(...random.slice(10))).toBeGreaterThanOrEqual(0.8 * WATCH_RETRY_MAX_MS);
    expect(Math.max(...random)).toBeLessThanOrEqual(1.2 * WATCH_RETRY_MAX_MS);
  });

  it('stays capped however long etcd is away', () => {
    const late = delays(new WatchRetryBackoff(0, () => 0.5), 5000).slice(-3);
    expect(late).toEqual([2000, 2000, 2000]);
  });
});
