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
 * The median of `values` and its percentile-bootstrap interval at `confidence` (0.9: the 5th and
 * 95th percentiles of the medians of `resamples` resamplings with replacement). Seeded, so the
 * same rounds always print the same interval.
 */
export function medianInterval(
  values: readonly number[],
  confidence = 0.9,
  resamples = 2000,
  seed = 1,
): Interval {
  if (values.length === 0) throw new RangeError('an interval of nothing');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be in (0, 1)');
  const random = seededRandom(seed);
  const medians: number[] = [];
  const sample: number[] = new Array<number>(values.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < values.length; i++) {
      sample[i] = values[Math.floor(random() * values.length)] ?? 0;
    }
    medians.push(median(sample));
  }
  const tail = (1 - confidence) / 2;
  return {
    value: median(values),
    low: quantile(medians, tail),
    high: quantile(medians, 1 - tail),
  };
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
