import type { Balancer } from './balancer.js';
import type { ServiceInstance } from './service-instance.js';

/** Picks an instance at random, each with probability weight / total (Kitex's `WeightedRandom`). */
export class WeightedRandomBalancer implements Balancer {
  readonly name = 'weighted-random';

  /** @param random a source of numbers in [0, 1); `Math.random` by default (tests inject one). */
  constructor(private readonly random: () => number = Math.random) {}

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    if (instances.length <= 1) return instances[0];
    let total = 0;
    for (const instance of instances) total += instance.weight;
    let point = this.random() * total;
    for (const instance of instances) {
      point -= instance.weight;
      if (point < 0) return instance;
    }
    // Rounding can leave point at 0 after the last subtraction.
    return instances[instances.length - 1];
  }
}
