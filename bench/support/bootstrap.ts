// How far a median of noisy rounds can be trusted: a percentile bootstrap. The benchmarks compare
// medians of per-round ratios whose rounds swing by tens of percent on a shared machine; a median
// printed with the interval its rounds support says whether a target line is really passed.
import { median, quantile } from './report.js';

/** A statistic's value and the interval that holds it at the chosen confidence. */
export interface Interval {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/**
 * The median of all values in `clusters` and its percentile-bootstrap interval at `confidence`
 * (0.9: the 5th and 95th percentiles of `resamples` medians). Each resampling draws whole
 * clusters with replacement: the rounds of one pair of processes share its luck (JIT, GC, how
 * its traffic batches), so they are not independent draws, and resampling them one by one would
 * print an interval narrower than the runs support. Seeded: the same rounds print the same
 * interval.
 */
export function medianInterval(
  clusters: readonly (readonly number[])[],
  confidence = 0.9,
  resamples = 2000,
  seed = 1,
): Interval {
  // Empty clusters hold nothing to draw: left out, every draw has a median.
  const drawn = clusters.filter((cluster) => cluster.length > 0);
  const all = drawn.flat();
  if (all.length === 0) throw new RangeError('an interval of nothing');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be in (0, 1)');
  const random = seededRandom(seed);
  const medians: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample: number[] = [];
    for (let i = 0; i < drawn.length; i++) {
      sample.push(...(drawn[Math.floor(random() * drawn.length)] ?? []));
    }
    medians.push(median(sample));
  }
  const tail = (1 - confidence) / 2;
  return {
    value: median(all),
    low: quantile(medians, tail),
    high: quantile(medians, 1 - tail),
  };
}

/** `values` cut into consecutive clusters of `size` (the last may be shorter). */
export function clustersOf(values: readonly number[], size: number): number[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
  const clusters: number[][] = [];
  for (let i = 0; i < values.length; i += size) clusters.push(values.slice(i, i + size));
  return clusters;
}

/** Where an interval lies against a floor: wholly above, wholly below, or across it. */
export function verdict(interval: Interval, floor: number): 'PASS' | 'MISS' | 'UNRESOLVED' {
  if (interval.low >= floor) return 'PASS';
  if (interval.high < floor) return 'MISS';
  return 'UNRESOLVED';
}

/** A uniform [0, 1) generator from a 32-bit seed (mulberry32): small, fast, repeatable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
