import { describe, expect, it } from '@jest/globals';
import {
  ConsistentHashBalancer,
  instanceKey,
  MAX_RING_POINTS,
  type ServiceInstance,
  SmoothWeightedRoundRobinBalancer,
  WeightedRandomBalancer,
} from '../../../lib/discovery/index.js';

function inst(host: string, weight = 10, port = 8888): ServiceInstance {
  return { host, port, weight, tags: {} };
}

/** A deterministic [0, 1) sequence (mulberry32), so the distribution checks are reproducible. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function counts(picks: (ServiceInstance | undefined)[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of picks) out.set(p?.host ?? '-', (out.get(p?.host ?? '-') ?? 0) + 1);
  return out;
}

describe('SmoothWeightedRoundRobinBalancer', () => {
  // nginx's commit describing the algorithm gives this sequence; Kitex's TestNextWrrNode checks
  // its first four picks (a, a, b, a) with the same scores.
  it("weights 5, 1, 1 give nginx's sequence a, a, b, a, c, a, a, and repeat it", () => {
    const balancer = new SmoothWeightedRoundRobinBalancer();
    const list = [inst('a', 5), inst('b', 1), inst('c', 1)];
    const hosts = Array.from({ length: 14 }, () => balancer.pick(list)?.host);
    expect(hosts.join(',')).toBe('a,a,b,a,c,a,a,a,a,b,a,c,a,a');
  });

  it('gives each instance exactly its share over a whole cycle', () => {
    const balancer = new SmoothWeightedRoundRobinBalancer();
    const list = [inst('a', 30), inst('b', 20), inst('c', 10)];
    const got = counts(Array.from({ length: 600 }, () => balancer.pick(list)));
    expect(Object.fromEntries(got)).toEqual({ a: 300, b: 200, c: 100 });
  });

  it('equal weights alternate; one instance is always picked; an empty list gives undefined', () => {
    const balancer = new SmoothWeightedRoundRobinBalancer();
    const list = [inst('a'), inst('b'), inst('c')];
    expect(Array.from({ length: 6 }, () => balancer.pick(list)?.host).join('')).toBe('abcabc');
    expect(balancer.pick([inst('x')])?.host).toBe('x');
    expect(balancer.pick([])).toBeUndefined();
  });

  it('a changed list forgets removed instances and keeps spreading', () => {
    const balancer = new SmoothWeightedRoundRobinBalancer();
    for (let i = 0; i < 5; i++) balancer.pick([inst('a'), inst('b'), inst('c')]);
    const list = [inst('a'), inst('c')];
    const got = counts(Array.from({ length: 100 }, () => balancer.pick(list)));
    // Scores carried over from before the change skew the first picks by at most one each.
    expect(Math.abs((got.get('a') ?? 0) - (got.get('c') ?? 0))).toBeLessThanOrEqual(2);
    expect(got.has('b')).toBe(false);
  });
});

describe('WeightedRandomBalancer', () => {
  it('picks in proportion to weight (within 3% over 20,000 seeded picks)', () => {
    const balancer = new WeightedRandomBalancer(seeded(42));
    const list = [inst('a', 50), inst('b', 30), inst('c', 20)];
    const n = 20_000;
    const got = counts(Array.from({ length: n }, () => balancer.pick(list)));
    expect(Math.abs((got.get('a') ?? 0) / n - 0.5)).toBeLessThan(0.03);
    expect(Math.abs((got.get('b') ?? 0) / n - 0.3)).toBeLessThan(0.03);
    expect(Math.abs((got.get('c') ?? 0) / n - 0.2)).toBeLessThan(0.03);
  });

  it('maps the ends of [0, 1) to the first and last instance', () => {
    const list = [inst('a', 1), inst('b', 1)];
    expect(new WeightedRandomBalancer(() => 0).pick(list)?.host).toBe('a');
    expect(new WeightedRandomBalancer(() => 0.999999).pick(list)?.host).toBe('b');
    expect(new WeightedRandomBalancer().pick([])).toBeUndefined();
  });
});

describe('ConsistentHashBalancer', () => {
  const list = [inst('10.0.0.1'), inst('10.0.0.2'), inst('10.0.0.3'), inst('10.0.0.4')];
  const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

  it('sends the same key to the same instance, whatever the list order', () => {
    const balancer = new ConsistentHashBalancer();
    const first = keys.map((k) => balancer.pick(list, k)?.host);
    const again = keys.map((k) => balancer.pick([...list].reverse(), k)?.host);
    expect(again).toEqual(first);
  });

  it('removing an instance moves only the keys it held', () => {
    const balancer = new ConsistentHashBalancer();
    const before = keys.map((k) => balancer.pick(list, k)?.host);
    const removed = '10.0.0.2';
    const after = keys.map(
      (k) =>
        balancer.pick(
          list.filter((i) => i.host !== removed),
          k,
        )?.host,
    );
    let moved = 0;
    keys.forEach((_, i) => {
      if (before[i] !== removed) expect(after[i]).toBe(before[i]);
      else moved++;
      expect(after[i]).not.toBe(removed);
    });
    // The removed instance held roughly a quarter of the keys.
    expect(moved).toBeGreaterThan(2000 * 0.1);
    expect(moved).toBeLessThan(2000 * 0.4);
  });

  it('spreads keys over instances by weight (within 10% of the share)', () => {
    const balancer = new ConsistentHashBalancer();
    const weighted = [inst('a', 10), inst('b', 10), inst('c', 20)];
    const many = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
    const got = counts(many.map((k) => balancer.pick(weighted, k)));
    expect(Math.abs((got.get('c') ?? 0) / 20_000 - 0.5)).toBeLessThan(0.1);
    expect(Math.abs((got.get('a') ?? 0) / 20_000 - 0.25)).toBeLessThan(0.1);
  });

  it('bounds the ring: huge weights are scaled down, keeping proportions', () => {
    const balancer = new ConsistentHashBalancer();
    const huge = [inst('a', 1e9), inst('b', 3e9)];
    const got = counts(Array.from({ length: 4000 }, (_, i) => balancer.pick(huge, `h${i}`)));
    const ring = (balancer as unknown as { ring: { points: Uint32Array } }).ring;
    expect(ring.points.length).toBeLessThanOrEqual(MAX_RING_POINTS + 2);
    expect(Math.abs((got.get('b') ?? 0) / 4000 - 0.75)).toBeLessThan(0.1);
  });

  it('a call without a key is placed at random among the instances', () => {
    const balancer = new ConsistentHashBalancer({ virtualFactor: 10 });
    const hosts = new Set(Array.from({ length: 200 }, () => balancer.pick(list)?.host));
    expect(hosts.size).toBeGreaterThan(1);
    expect(balancer.pick([inst('x')], 'k')?.host).toBe('x');
    expect(instanceKey(inst('::1', 10, 80))).toBe('[::1]:80');
  });
});
