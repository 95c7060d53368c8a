export {
  type EtcdConnectionOptions,
  DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
  EtcdClientMissingError,
} from './etcd-options.js';
export {
  EtcdResolver,
  type EtcdResolverOptions,
  type MalformedEtcdRecord,
  DEFAULT_ETCD_REFRESH_INTERVAL_MS,
} from './etcd-resolver.js';
export {
  EtcdRegistry,
  type EtcdRegistryOptions,
  DEFAULT_ETCD_LEASE_TTL_SECONDS,
  DEFAULT_ETCD_CHECK_INTERVAL_MS,
  DEFAULT_ETCD_RETRY_INTERVAL_MS,
  KITEX_ETCD_REGISTRY_LEASE_TTL,
} from './etcd-registry.js';
export { EtcdRegistryError, type EtcdRegistryOperation } from './etcd-registry-error.js';
export {
  type KitexEtcdRecord,
  type KitexEtcdRecordParse,
  KITEX_ETCD_PREFIX,
  kitexServicePrefix,
  kitexServiceKey,
  encodeKitexEtcdRecord,
  parseKitexEtcdRecord,
} from './kitex-etcd-record.js';
export {
  KITEX_IP_TO_REGISTRY,
  KITEX_PORT_TO_REGISTRY,
  registryAddress,
} from './registry-address.js';
