import { lookup as dnsLookup } from 'node:dns/promises';
import { ServiceDiscoveryError } from './discovery-error.js';
import { normalizeInstances, parseHostPort } from './normalize-instances.js';
import type { Resolver } from './resolver.js';
import { DEFAULT_INSTANCE_WEIGHT, type ServiceInstance } from './service-instance.js';

/** The address lookup the resolver uses: `dns.promises.lookup` with `all: true` by default. */
export type DnsLookup = (
  hostname: string,
  options: { readonly all: true; readonly family: 0 | 4 | 6 },
) => Promise<readonly { readonly address: string; readonly family: number }[]>;

/** Options of {@link DnsResolver}. */
export interface DnsResolverOptions {
  /** Port of the instances when the service name has none. Default 8888 (Kitex's). */
  readonly port?: number;
  /** 4 or 6 to keep only A or AAAA records. Default 0 (both). */
  readonly family?: 0 | 4 | 6;
  /** Weight given to every address. Default 10. */
  readonly weight?: number;
  /** Replaces the system lookup (tests, custom DNS). */
  readonly lookup?: DnsLookup;
}

/**
 * Resolves a service name that is a DNS name (`echo.ns.svc.cluster.local` or `name:port`) to
 * one instance per A/AAAA address, as a Kubernetes headless service publishes its pods. It
 * uses the system resolver (`getaddrinfo`, so `/etc/hosts` and `localhost` work); the client's
 * watcher re-resolves it every refresh interval.
 */
export class DnsResolver implements Resolver {
  private readonly lookup: DnsLookup;

  constructor(private readonly options: DnsResolverOptions = {}) {
    this.lookup = options.lookup ?? ((host, opts) => dnsLookup(host, opts));
  }

  /**
   * The addresses of `service`'s host name, each at the name's port (or `options.port`).
   * @throws ServiceDiscoveryError (kind `resolve`) for a malformed name or a failed lookup.
   */
  async resolve(service: string): Promise<readonly ServiceInstance[]> {
    const target = parseHostPort(service, this.options.port ?? 8888);
    if (target === undefined) {
      throw new ServiceDiscoveryError('resolve', service, `'${service}' is not a DNS name[:port]`);
    }
    let records: readonly { readonly address: string }[];
    try {
      records = await this.lookup(target.host, { all: true, family: this.options.family ?? 0 });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      throw new ServiceDiscoveryError('resolve', service, `lookup ${target.host}: ${text}`, {
        cause: error,
      });
    }
    const weight = this.options.weight ?? DEFAULT_INSTANCE_WEIGHT;
    return normalizeInstances(
      records.map((r) => ({ host: r.address, port: target.port, weight, tags: {} })),
    );
  }
}
