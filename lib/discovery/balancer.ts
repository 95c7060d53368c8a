import type { ServiceInstance } from './service-instance.js';

/**
 * Chooses the instance of one call. Balancers may keep state between picks (round robin
 * position), keyed by instance address, so a changed list is handled on the next pick.
 */
export interface Balancer {
  /** For logs: `smooth-weighted-round-robin`, `weighted-random`, `consistent-hash`. */
  readonly name: string;
  /**
   * One of `instances` (never empty when called), or undefined when none fits.
   * @param key the call's hash key (consistent hashing); others ignore it.
   */
  pick(instances: readonly ServiceInstance[], key?: string): ServiceInstance | undefined;
}
