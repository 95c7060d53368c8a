/** How to reach etcd; shared by {@link EtcdResolver} and {@link EtcdRegistry}. */
export interface EtcdConnectionOptions {
  /** etcd endpoints, `host:port` or `http://host:port` (kitex-contrib's `endpoints`). */
  readonly endpoints: readonly string[];
  /** etcd user and password (kitex-contrib's `WithAuthOpt`). */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Deadline of each etcd request (default {@link DEFAULT_ETCD_REQUEST_TIMEOUT_MS}, as Kitex's 3 s). */
  readonly requestTimeoutMs?: number;
  /** Key prefix (default `kitex/registry-etcd`, kitex-contrib's `WithEtcdServicePrefix`). */
  readonly prefix?: string;
}

/** Kitex's registry bounds each etcd call with a 3 s context; so do we. */
export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 3000;

/** Thrown when the optional peer dependency `etcd3` is not installed. */
export class EtcdClientMissingError extends Error {
  constructor(cause: unknown) {
    super(
      "the etcd resolver and registry need the optional peer dependency 'etcd3': npm install etcd3",
    );
    this.name = 'EtcdClientMissingError';
    Object.defineProperty(this, 'cause', { value: cause, writable: true, configurable: true });
  }
}
