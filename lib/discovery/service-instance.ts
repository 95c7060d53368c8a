/** One reachable instance of a service, as a resolver reports it. */
export interface ServiceInstance {
  readonly host: string;
  readonly port: number;
  /** Relative share of calls, always > 0: resolvers map <= 0 to {@link DEFAULT_INSTANCE_WEIGHT} as Kitex does. */
  readonly weight: number;
  /** Free-form labels (zone, version, ...) used by tag filtering. */
  readonly tags: Readonly<Record<string, string>>;
}

/** The weight given to an instance that names none or names one <= 0 (Kitex's `discovery.DefaultWeight`). */
export const DEFAULT_INSTANCE_WEIGHT = 10;

/** `host:port`, with an IPv6 host in brackets: the identity of an instance in lists and pools. */
export function instanceKey(instance: ServiceInstance): string {
  return instance.host.includes(':')
    ? `[${instance.host}]:${instance.port}`
    : `${instance.host}:${instance.port}`;
}
