import { ServiceDiscoveryError } from './discovery-error.js';
import { normalizeInstances, type SkippedEntryHandler } from './normalize-instances.js';
import type { Resolver } from './resolver.js';
import type { ServiceInstance } from './service-instance.js';

/** One entry of a static list: `host:port` / `[v6]:port`, or an object with weight and tags. */
export type StaticInstanceEntry =
  | string
  | {
      readonly host: string;
      readonly port: number;
      readonly weight?: number;
      readonly tags?: Readonly<Record<string, string>>;
    };

/**
 * A fixed list of instances per service, for tests, sidecars and small fleets. {@link update}
 * replaces a service's list and tells watchers at once.
 *
 * ```ts
 * const resolver = new StaticResolver({ echo: ['10.0.0.1:8888', { host: '10.0.0.2', port: 8888, weight: 20 }] });
 * ```
 */
export class StaticResolver implements Resolver {
  private readonly lists = new Map<string, readonly ServiceInstance[]>();
  private readonly watchers = new Map<string, Set<(list: readonly ServiceInstance[]) => void>>();

  /**
   * @param services lists by service name; malformed entries are skipped (reported to
   * `onSkip`), repeated addresses merged, weights <= 0 made 10.
   */
  constructor(
    services: Readonly<Record<string, readonly StaticInstanceEntry[]>> = {},
    private readonly onSkip?: SkippedEntryHandler,
  ) {
    for (const [service, entries] of Object.entries(services)) this.update(service, entries);
  }

  /** Replaces the list of `service` and notifies its watchers. */
  update(service: string, entries: readonly StaticInstanceEntry[]): void {
    const list = normalizeInstances(entries, this.onSkip);
    this.lists.set(service, list);
    for (const listener of this.watchers.get(service) ?? []) listener(list);
  }

  /**
   * The list of `service`; empty for a known service without instances.
   * @throws ServiceDiscoveryError (kind `resolve`) for a service the resolver was never given.
   */
  resolve(service: string): Promise<readonly ServiceInstance[]> {
    const list = this.lists.get(service);
    if (list === undefined) {
      const error = new ServiceDiscoveryError(
        'resolve',
        service,
        `static resolver has no list for service '${service}'`,
      );
      return Promise.reject(error);
    }
    return Promise.resolve(list);
  }

  /** Calls `onChange` with each later {@link update} of `service`. */
  watch(service: string, onChange: (instances: readonly ServiceInstance[]) => void): () => void {
    let set = this.watchers.get(service);
    if (set === undefined) this.watchers.set(service, (set = new Set()));
    const listener = (list: readonly ServiceInstance[]): void => {
      onChange(list);
    };
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }
}
