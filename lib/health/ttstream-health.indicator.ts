import { Injectable } from '@nestjs/common';
import { type TTStreamClient } from '../client/ttstream.client.js';
import { type TTStreamServer, type TTStreamServerStatus } from '../server/ttstream.server.js';
import { formatAddress } from '../transport/index.js';
import { type TTStreamClientHealthOptions } from './client-health-options.interface.js';
import { errorDetails, healthDown, healthUp, type TTStreamHealthResult } from './health-result.js';
import { probeClient } from './probe-client.js';

/** The `state` a server check reports. */
export type TTStreamServerHealthState = 'listening' | 'draining' | 'closed' | 'not-started';

/**
 * Health checks for `@nestjs/terminus` (11 or 12), without importing it: the checks resolve to the
 * plain `{ [key]: { status: 'up' | 'down', ... } }` results its `HealthCheckService` reads, so a
 * `down` fails the check with 503. They never reject.
 *
 * ```ts
 * @Get('ready')
 * @HealthCheck()
 * ready() {
 *   return this.health.check([
 *     () => this.ttstream.isServerHealthy('ttstream', this.server),
 *     () => this.ttstream.isClientHealthy('echo', this.echoClient, { timeoutMs: 500 }),
 *   ]);
 * }
 * ```
 *
 * Provide it in your module (`providers: [TTStreamHealthIndicator]`) or create it with `new`.
 */
@Injectable()
export class TTStreamHealthIndicator {
  /**
   * Whether `server` takes new streams: up while it listens (`state: 'listening'`, with its
   * `address`); down while it drains in-flight streams after `close()` (`draining`), once closed
   * (`closed`), or before `listen()` succeeded (`not-started`). Readiness probes want this.
   */
  isServerHealthy<const Key extends string>(
    key: Key,
    server: TTStreamServer,
  ): Promise<TTStreamHealthResult<Key>> {
    const state = serverState(server);
    if (state === 'listening') {
      const bound = server.address();
      const address =
        bound === undefined ? undefined : formatAddress({ host: bound.address, port: bound.port });
      return Promise.resolve(healthUp(key, { state, address }));
    }
    return Promise.resolve(healthDown(key, { state, message: SERVER_DOWN_MESSAGES[state] }));
  }

  /**
   * Whether the server `client` calls is reachable, with a real bounded check: a dial (the
   * client's `connect()`, which reuses an open connection) and, when `options.pattern` is set, a
   * call of that method whose first response or end must arrive within `options.timeoutMs`
   * (default 1000 ms). Down details carry the error's `message` and, when it has one, its `code`.
   */
  async isClientHealthy<const Key extends string>(
    key: Key,
    client: TTStreamClient,
    options: TTStreamClientHealthOptions = {},
  ): Promise<TTStreamHealthResult<Key>> {
    try {
      await probeClient(client, options);
      return healthUp(key, options.pattern === undefined ? {} : { pattern: options.pattern });
    } catch (error) {
      return healthDown(key, errorDetails(error));
    }
  }
}

const SERVER_DOWN_MESSAGES: Readonly<
  Record<Exclude<TTStreamServerHealthState, 'listening'>, string>
> = {
  draining: 'TTStreamServer is shutting down: in-flight streams are draining',
  closed: 'TTStreamServer is closed',
  'not-started': 'TTStreamServer is not listening',
};

/** The server's latest status: Nest's status subject replays it synchronously on subscribe. */
function serverState(server: TTStreamServer): TTStreamServerHealthState {
  const latest: { status?: TTStreamServerStatus } = {};
  server.status
    .subscribe((status) => {
      latest.status = status;
    })
    .unsubscribe();
  switch (latest.status) {
    case 'listening':
      return 'listening';
    case 'closing':
      return 'draining';
    case 'closed':
      return 'closed';
    case undefined:
      return 'not-started';
  }
}
