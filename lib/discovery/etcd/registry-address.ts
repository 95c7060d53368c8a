import { networkInterfaces } from 'node:os';
import { parseHostPort } from '../normalize-instances.js';
import type { RegistryInfo } from '../registry.js';

/** Kitex's variable for the host to publish instead of the listener's. */
export const KITEX_IP_TO_REGISTRY = 'KITEX_IP_TO_REGISTRY';
/** Kitex's variable for the port to publish instead of the listener's. */
export const KITEX_PORT_TO_REGISTRY = 'KITEX_PORT_TO_REGISTRY';

const UNSPECIFIED_HOSTS = new Set(['', '::', '0.0.0.0', '[::]']);

/**
 * The `host:port` a registry publishes for `info`, as kitex-contrib's `getAddressOfRegistration`
 * decides it: a fixed `address` wins (its `SetFixedAddress`), then `KITEX_IP_TO_REGISTRY` /
 * `KITEX_PORT_TO_REGISTRY`, then the listener's host and port, where an unspecified host
 * (`::`, and here also `0.0.0.0`) becomes the machine's first non-loopback IPv4 address.
 * An IPv6 host is written in brackets so that Go's dialer accepts it.
 */
export function registryAddress(
  info: Pick<RegistryInfo, 'host' | 'port'>,
  fixed: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (fixed !== undefined) {
    const parsed = parseHostPort(fixed);
    if (parsed === undefined) throw new RangeError(`registry address '${fixed}' is not host:port`);
    return joinHostPort(parsed.host, parsed.port);
  }
  let host = info.host;
  let port = info.port;
  const envHost = env[KITEX_IP_TO_REGISTRY];
  const envPort = env[KITEX_PORT_TO_REGISTRY];
  if (envHost !== undefined && envHost !== '') host = envHost;
  else if (UNSPECIFIED_HOSTS.has(host)) host = localIPv4();
  if (envPort !== undefined && envPort !== '') {
    port = Number(envPort);
    if (!/^\d+$/.test(envPort) || port < 1 || port > 65535) {
      throw new RangeError(`${KITEX_PORT_TO_REGISTRY}='${envPort}' is not a port`);
    }
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`registry port ${port} is not a port`);
  }
  return joinHostPort(host.replace(/^\[(.*)\]$/, '$1'), port);
}

/** `host:port`, `[v6]:port`. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function localIPv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  throw new RangeError(
    `no non-loopback IPv4 address to publish: listen on a concrete host or set ${KITEX_IP_TO_REGISTRY}`,
  );
}
