/** Our side of the interop suite: a TestService server and clients on our real transport. */
import {
  TTStreamClientTransport,
  type ClientTransportOptions,
} from '../../../lib/transport/client-transport.js';
import type { TcpAddress } from '../../../lib/transport/address.js';
import { TTStreamServerTransport } from '../../../lib/transport/server-transport.js';
import type { HostPort } from './peer.js';
import {
  registerTestService,
  type TestServiceLog,
  type TestServiceOptions,
} from './test-service.js';

/** Our TestService listening on 127.0.0.1. */
export interface OurServer {
  readonly server: TTStreamServerTransport;
  readonly address: HostPort;
  readonly log: TestServiceLog;
  close(): Promise<void>;
}

/** Starts our TestService on 127.0.0.1:0. */
export async function startOurServer(options: TestServiceOptions = {}): Promise<OurServer> {
  const server = new TTStreamServerTransport({ gracePeriodMs: 1000 });
  const log = registerTestService(server, options);
  const bound = (await server.listen({ host: '127.0.0.1', port: 0 })) as TcpAddress;
  return {
    server,
    address: `${bound.host}:${bound.port}`,
    log,
    close: () => server.close(),
  };
}

/** Our client for a `host:port` (mux pool, one connection, service name `A` unless told). */
export function ourClient(
  address: HostPort,
  options: ClientTransportOptions = {},
): TTStreamClientTransport {
  const at = address.lastIndexOf(':');
  return new TTStreamClientTransport(
    { host: address.slice(0, at), port: Number(address.slice(at + 1)) },
    { pool: 'mux', poolSize: 1, serviceName: 'A', ...options },
  );
}
