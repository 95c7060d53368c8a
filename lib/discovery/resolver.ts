import type { ServiceInstance } from './service-instance.js';

/** A source of service instances: a static list, DNS, a registry such as etcd. */
export interface Resolver {
  /** Current instances of `service`; rejects (typed error) when the source cannot be read. */
  resolve(service: string): Promise<readonly ServiceInstance[]>;
  /** Optional push of changes; returns an unsubscribe function. */
  watch?(service: string, onChange: (instances: readonly ServiceInstance[]) => void): () => void;
  /** Releases connections or timers the resolver holds. */
  close?(): Promise<void>;
}
