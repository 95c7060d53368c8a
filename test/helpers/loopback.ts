import {
  TTStreamClientTransport,
  type ClientTransportOptions,
} from '../../lib/transport/client-transport.js';
import type { TcpAddress } from '../../lib/transport/address.js';
import {
  TTStreamServerTransport,
  type ServerTransportOptions,
} from '../../lib/transport/server-transport.js';
import { waitFor } from './wait.js';

/** A server on 127.0.0.1:0 and a client for it; `close()` closes both and waits for zero connections. */
export interface Loopback {
  readonly server: TTStreamServerTransport;
  readonly client: TTStreamClientTransport;
  readonly address: TcpAddress;
  /** Another client for the same server (closed by `close()`). */
  newClient(options?: ClientTransportOptions): TTStreamClientTransport;
  close(): Promise<void>;
}

/** Starts a server (after `setup` registers its routes) and a client. */
export async function startLoopback(
  setup: (server: TTStreamServerTransport) => void,
  options: { server?: ServerTransportOptions; client?: ClientTransportOptions } = {},
): Promise<Loopback> {
  const server = new TTStreamServerTransport({ gracePeriodMs: 2000, ...options.server });
  setup(server);
  const address = (await server.listen({ host: '127.0.0.1', port: 0 })) as TcpAddress;
  const clients: TTStreamClientTransport[] = [];
  const newClient = (clientOptions?: ClientTransportOptions): TTStreamClientTransport => {
    const client = new TTStreamClientTransport(address, { poolSize: 1, ...clientOptions });
    clients.push(client);
    return client;
  };
  const client = newClient(options.client);
  return {
    server,
    client,
    address,
    newClient,
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
      await waitFor(
        () => server.stats().connections === 0 && clients.every((c) => c.stats().connections === 0),
        'zero open connections',
      );
    },
  };
}
