import { clustersOf, medianInterval, verdict } from '../../../bench/support/bootstrap.js';

/** `count` values spread evenly over [low, high], in a fixed shuffled order (11 is prime to every count used). */
function spread(count: number, low: number, high: number): number[] {
  const values = Array.from({ length: count }, (_, i) => low + ((high - low) * i) / (count - 1));
  return values.map((v, i) => values[(i * 11) % count] ?? v);
}

describe('medianInterval', () => {
  it('is a single point when every round agrees', () => {
    expect(medianInterval(clustersOf([0.9, 0.9, 0.9, 0.9], 2))).toEqual({
      value: 0.9,
      low: 0.9,
      high: 0.9,
    });
  });

  it('holds the median, inside the range of the rounds', () => {
    const rounds = spread(21, 0.6, 1.2);
    const interval = medianInterval(clustersOf(rounds, 1));
    expect(interval.value).toBeCloseTo(0.9, 10);
    expect(interval.low).toBeLessThan(interval.value);
    expect(interval.high).toBeGreaterThan(interval.value);
    expect(interval.low).toBeGreaterThan(0.6);
    expect(interval.high).toBeLessThan(1.2);
  });

  it('narrows as rounds are added', () => {
    const width = (n: number): number => {
      const i = medianInterval(clustersOf(spread(n, 0.6, 1.2), 1));
      return i.high - i.low;
    };
    expect(width(201)).toBeLessThan(width(21) / 2);
  });

  it('widens with a wider confidence', () => {
    const rounds = spread(41, 0.6, 1.2);
    const narrow = medianInterval(clustersOf(rounds, 1), 0.5);
    const wide = medianInterval(clustersOf(rounds, 1), 0.95);
    expect(wide.low).toBeLessThan(narrow.low);
    expect(wide.high).toBeGreaterThan(narrow.high);
  });

  it('prints the same interval for the same rounds and seed, another for another seed', () => {
    const rounds = clustersOf(
      [0.71, 1.18, 0.83, 0.95, 0.62, 1.04, 0.88, 0.79, 1.11, 0.93, 0.69],
      1,
    );
    const first = medianInterval(rounds, 0.9, 200, 1);
    expect(medianInterval(rounds, 0.9, 200, 1)).toEqual(first);
    const reseeded = [2, 3, 4, 5, 6].map((seed) => medianInterval(rounds, 0.9, 200, seed));
    expect(reseeded.some((i) => i.low !== first.low || i.high !== first.high)).toBe(true);
  });

  it('is wider when rounds move together within a cluster than when each is its own draw', () => {
    // Five pairs of processes, four rounds each: each pair's rounds sit near its own level.
    const levels = [0.72, 0.95, 0.81, 1.08, 0.88];
    const rounds = levels.flatMap((level) => [level - 0.02, level, level + 0.01, level + 0.02]);
    const together = medianInterval(clustersOf(rounds, 4));
    const apart = medianInterval(clustersOf(rounds, 1));
    expect(together.value).toBe(apart.value);
    expect(together.high - together.low).toBeGreaterThan((apart.high - apart.low) * 1.5);
  });

  it('draws nothing from empty clusters, and refuses no rounds or a confidence outside (0, 1)', () => {
    expect(medianInterval([[], [0.8], []])).toEqual({ value: 0.8, low: 0.8, high: 0.8 });
    expect(() => medianInterval([])).toThrow(RangeError);
    expect(() => medianInterval([[], []])).toThrow(RangeError);
    expect(() => medianInterval([[1]], 1)).toThrow(RangeError);
    expect(() => medianInterval([[1]], 0)).toThrow(RangeError);
  });
});

describe('clustersOf', () => {
  it('cuts values into consecutive clusters, the last one shorter', () => {
    expect(clustersOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(() => clustersOf([1], 0)).toThrow(RangeError);
  });
});

describe('verdict', () => {
  it('passes only an interval wholly at or above the floor', () => {
    expect(verdict({ value: 0.9, low: 0.85, high: 0.95 }, 0.85)).toBe('PASS');
    expect(verdict({ value: 0.9, low: 0.84, high: 0.95 }, 0.85)).toBe('UNRESOLVED');
  });

  it('misses only an interval wholly below the floor', () => {
    expect(verdict({ value: 0.8, low: 0.75, high: 0.84 }, 0.85)).toBe('MISS');
    expect(verdict({ value: 0.8, low: 0.75, high: 0.85 }, 0.85)).toBe('UNRESOLVED');
  });
});
