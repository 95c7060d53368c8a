/**
 * Service discovery and load balancing: resolvers (static, DNS), the registry contract, an
 * instance watcher, balancers, tag filtering and outlier detection. No Nest, no transport.
 */
export { type ServiceInstance, DEFAULT_INSTANCE_WEIGHT, instanceKey } from './service-instance.js';
export { type Resolver } from './resolver.js';
export { type Registry, type RegistryInfo } from './registry.js';
export {
  ServiceDiscoveryError,
  type ServiceDiscoveryErrorKind,
  noInstanceError,
  isServiceDiscoveryError,
} from './discovery-error.js';
export {
  normalizeInstances,
  parseHostPort,
  type InstanceEntry,
  type SkippedEntryHandler,
} from './normalize-instances.js';
export { StaticResolver, type StaticInstanceEntry } from './static-resolver.js';
export { DnsResolver, type DnsResolverOptions, type DnsLookup } from './dns-resolver.js';
export {
  InstanceWatcher,
  type InstanceWatcherOptions,
  type InstanceWatcherEvents,
  DEFAULT_REFRESH_INTERVAL_MS,
} from './instance-watcher.js';
export { type Balancer } from './balancer.js';
export { SmoothWeightedRoundRobinBalancer } from './smooth-weighted-round-robin.js';
export { WeightedRandomBalancer } from './weighted-random.js';
export {
  ConsistentHashBalancer,
  type ConsistentHashOptions,
  DEFAULT_VIRTUAL_FACTOR,
  MAX_RING_POINTS,
  hash32,
} from './consistent-hash.js';
export { filterByTags } from './tag-filter.js';
export { OutlierDetector, type OutlierDetectorOptions } from './outlier-detector.js';
// etcd, with kitex-contrib registry-etcd's records (the optional peer `etcd3` loads on first use).
export * from './etcd/index.js';
