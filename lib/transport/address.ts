/** A TCP address (`port` 0 lets the OS choose when listening). */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** A unix domain socket path. */
export interface UnixAddress {
  readonly path: string;
}

/** Where to connect or listen. */
export type TransportAddress = TcpAddress | UnixAddress;

/** True for a {@link UnixAddress}. */
export function isUnixAddress(address: TransportAddress): address is UnixAddress {
  return 'path' in address;
}

/** `host:port` or the path, for logs and errors. */
export function formatAddress(address: TransportAddress): string {
  if (isUnixAddress(address)) return address.path;
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
