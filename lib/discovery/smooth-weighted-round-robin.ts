import type { Balancer } from './balancer.js';
import { instanceKey, type ServiceInstance } from './service-instance.js';

/**
 * Smooth weighted round robin, nginx's algorithm and Kitex's default balancer: each pick adds
 * every instance's weight to its running score, takes the highest score (first on ties) and
 * subtracts the total weight from it. Weights 5, 1, 1 give a, a, b, a, c, a, a; heavy instances
 * are spread out instead of picked in runs.
 */
export class SmoothWeightedRoundRobinBalancer implements Balancer {
  readonly name = 'smooth-weighted-round-robin';
  // Scores by address; survives list changes so that a refresh does not restart the cycle.
  private scores = new Map<string, number>();
  private lastList: readonly ServiceInstance[] | undefined;

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    if (instances.length === 0) return undefined;
    if (instances.length === 1) return instances[0];
    if (instances !== this.lastList) this.forgetOthers(instances);
    let total = 0;
    let best: ServiceInstance | undefined;
    let bestKey = '';
    let bestScore = -Infinity;
    for (const instance of instances) {
      const key = instanceKey(instance);
      const score = (this.scores.get(key) ?? 0) + instance.weight;
      this.scores.set(key, score);
      total += instance.weight;
      if (score > bestScore) {
        best = instance;
        bestKey = key;
        bestScore = score;
      }
    }
    this.scores.set(bestKey, bestScore - total);
    return best;
  }

  private forgetOthers(instances: readonly ServiceInstance[]): void {
    this.lastList = instances;
    const keep = new Set(instances.map(instanceKey));
    for (const key of this.scores.keys()) if (!keep.has(key)) this.scores.delete(key);
  }
}
