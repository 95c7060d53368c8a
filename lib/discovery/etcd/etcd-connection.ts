import type * as Etcd3Namespace from 'etcd3';
import type { Etcd3, IOptions } from 'etcd3';
import {
  DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
  EtcdClientMissingError,
  type EtcdConnectionOptions,
} from './etcd-options.js';
import { WatchRetryBackoff } from './watch-backoff.js';

type Etcd3Module = typeof Etcd3Namespace;

let loading: Promise<Etcd3Module> | undefined;

/** Imports `etcd3` on first use only, so users without etcd never load it (or gRPC). */
async function loadEtcd3(): Promise<Etcd3Module> {
  loading ??= import('etcd3').then(
    (mod) => {
      // A CommonJS package: depending on the loader its exports may sit on `default` only.
      const named = mod as Partial<Etcd3Module> & { default?: Etcd3Module };
      return named.Etcd3 !== undefined ? (named as Etcd3Module) : (named.default as Etcd3Module);
    },
    (error: unknown) => {
      loading = undefined;
      throw new EtcdClientMissingError(error);
    },
  );
  return loading;
}

/** Opens an etcd3 client with a deadline on every unary request (not on watch/keepalive streams). */
export async function openEtcdClient(options: EtcdConnectionOptions): Promise<Etcd3> {
  if (options.endpoints.length === 0) throw new RangeError('etcd: no endpoints given');
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS;
  if (!(timeoutMs > 0))
    throw new RangeError(`etcd: requestTimeoutMs must be > 0, got ${timeoutMs}`);
  const { Etcd3: Client } = await loadEtcd3();
  const config: IOptions = {
    hosts: [...options.endpoints],
    dialTimeout: timeoutMs,
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: new Date(Date.now() + timeoutMs) },
    // etcd3's default grows to 30 s, and close() leaves its timer running (watch-backoff.ts).
    faultHandling: { watchBackoff: new WatchRetryBackoff() },
  };
  if (options.auth !== undefined) config.auth = { ...options.auth };
  return new Client(config);
}
