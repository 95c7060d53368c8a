/** What a server publishes about itself in a registry. */
export interface RegistryInfo {
  readonly serviceName: string;
  readonly host: string;
  readonly port: number;
  /** Relative share of calls; registries write 10 (Kitex's default) when absent. */
  readonly weight?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Publishes a server so that clients can find it (etcd, ...). */
export interface Registry {
  /** Makes the instance visible; keeps it visible (leases, re-puts) until deregistered. */
  register(info: RegistryInfo): Promise<void>;
  /** Removes the instance so clients stop choosing it; called before the server drains. */
  deregister(info: RegistryInfo): Promise<void>;
  /** Releases the registry's connections. */
  close?(): Promise<void>;
}
