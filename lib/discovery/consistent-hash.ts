import type { Balancer } from './balancer.js';
import { instanceKey, type ServiceInstance } from './service-instance.js';
import { WeightedRandomBalancer } from './weighted-random.js';

/** Options of {@link ConsistentHashBalancer}. */
export interface ConsistentHashOptions {
  /**
   * Ring points per unit of weight, as Kitex's `VirtualFactor` with `Weighted: true` (weight 10
   * gives 1000 points): more points spread keys more evenly. Default 100.
   */
  readonly virtualFactor?: number;
}

/** Default ring points per unit of weight (Kitex's default `VirtualFactor`). */
export const DEFAULT_VIRTUAL_FACTOR = 100;

/**
 * Most points on one ring: beyond it every instance's count is scaled down in proportion, so
 * that a registry announcing huge weights cannot make the client build a huge ring.
 */
export const MAX_RING_POINTS = 200_000;

/**
 * Consistent hashing on a per-call key (a header or metainfo value): the same key goes to the
 * same instance while it is in the list, and removing an instance moves only the keys it held.
 * A call without a key is placed by weighted random (Kitex returns no instance instead). The
 * ring's hash is the same in every process; Kitex v0.16 uses Go's `hash/maphash` with a random
 * per-process seed (older releases: xxhash3), so a key may land on another instance than from Go.
 */
export class ConsistentHashBalancer implements Balancer {
  readonly name = 'consistent-hash';
  private readonly virtualFactor: number;
  private readonly fallback = new WeightedRandomBalancer();
  private ring: Ring | undefined;

  constructor(options: ConsistentHashOptions = {}) {
    const factor = options.virtualFactor;
    this.virtualFactor =
      factor !== undefined && Number.isInteger(factor) && factor > 0
        ? factor
        : DEFAULT_VIRTUAL_FACTOR;
  }

  pick(instances: readonly ServiceInstance[], key?: string): ServiceInstance | undefined {
    if (instances.length <= 1) return instances[0];
    if (key === undefined || key === '') return this.fallback.pick(instances);
    const ring = this.ringFor(instances);
    const point = hash32(key);
    // First ring point at or after the key's hash, wrapping around.
    let low = 0;
    let high = ring.points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((ring.points[mid] ?? 0) < point) low = mid + 1;
      else high = mid;
    }
    return ring.owners[low === ring.points.length ? 0 : low];
  }

  private ringFor(instances: readonly ServiceInstance[]): Ring {
    // The same list object (the usual case between refreshes) needs no signature check.
    if (this.ring?.list === instances) return this.ring;
    const signature = instances.map((i) => `${instanceKey(i)}/${i.weight}`).join(',');
    if (this.ring?.signature !== signature) {
      this.ring = buildRing(instances, this.virtualFactor, signature);
    }
    this.ring.list = instances;
    return this.ring;
  }
}

interface Ring {
  readonly signature: string;
  list: readonly ServiceInstance[] | undefined;
  readonly points: Uint32Array;
  readonly owners: readonly ServiceInstance[];
}

// A ring point and its owner's rank packed in one double, so that a numeric sort orders them.
const RANK_SPAN = 2 ** 21;

function buildRing(
  instances: readonly ServiceInstance[],
  virtualFactor: number,
  signature: string,
): Ring {
  // Owners ranked by address: ties on a point go the same way whatever the list order.
  const ranked = instances
    .map((instance) => ({ instance, key: instanceKey(instance) }))
    .sort((a, b) => compare(a.key, b.key))
    .slice(0, RANK_SPAN);
  let total = 0;
  for (const { instance } of ranked) total += instance.weight * virtualFactor;
  const scale = total > MAX_RING_POINTS ? MAX_RING_POINTS / total : 1;
  const counts = ranked.map((r) =>
    Math.max(1, Math.round(r.instance.weight * virtualFactor * scale)),
  );
  const packed = new Float64Array(counts.reduce((a, b) => a + b, 0));
  let n = 0;
  ranked.forEach(({ key }, rank) => {
    const count = counts[rank] ?? 0;
    for (let i = 0; i < count; i++) packed[n++] = hash32(`${key}#${i}`) * RANK_SPAN + rank;
  });
  packed.sort();
  const points = new Uint32Array(packed.length);
  const owners: ServiceInstance[] = new Array<ServiceInstance>(packed.length);
  packed.forEach((value, i) => {
    const rank = value % RANK_SPAN;
    points[i] = (value - rank) / RANK_SPAN;
    owners[i] = (ranked[rank] as { instance: ServiceInstance }).instance;
  });
  return { signature, list: undefined, points, owners };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a over UTF-16 code units, then murmur3's finalizer to spread nearby strings. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
