import type { TransportAddress } from './address.js';
import {
  ClientConnection,
  type ClientConnectionEvents,
  type DialOptions,
} from './client-connection.js';

/** How a client spreads streams over connections. */
export type PoolMode = 'mux' | 'long' | 'short';

/** Options of the connection pools. @internal not covered by semver */
export interface PoolOptions extends DialOptions {
  /** Mux: connections per address. */
  readonly poolSize: number;
  /** Long: idle connections are closed after this. */
  readonly idleTimeoutMs: number;
}

/**
 * Hands out connections for new streams. Every pool replaces dead connections lazily on the next
 * `acquire`. @internal not covered by semver
 */
export abstract class ConnectionPool implements ClientConnectionEvents {
  protected readonly all = new Set<ClientConnection>();
  /** Connections dialed so far (cumulative). */
  dialed = 0;

  constructor(
    protected readonly address: TransportAddress,
    protected readonly options: PoolOptions,
  ) {}

  /** A connection for one new stream. */
  abstract acquire(): ClientConnection;

  /** Live connections. */
  connections(): readonly ClientConnection[] {
    return [...this.all];
  }

  onStreamEnd(_connection: ClientConnection): void {
    // Mux: nothing to do.
  }

  onClose(connection: ClientConnection): void {
    this.all.delete(connection);
  }

  /** Closes every connection (open streams fail with 12006) and waits for the sockets. */
  async close(): Promise<void> {
    await Promise.all([...this.all].map((c) => c.end()));
  }

  protected dial(): ClientConnection {
    const connection = ClientConnection.dial(this.address, this.options, this);
    this.all.add(connection);
    this.dialed++;
    return connection;
  }
}

/** Kitex's default: `poolSize` connections, round-robin, any number of streams each. */
export class MuxPool extends ConnectionPool {
  private readonly slots: (ClientConnection | undefined)[] = [];
  private next = 0;

  acquire(): ClientConnection {
    const size = Math.max(1, this.options.poolSize);
    const index = this.next % size;
    this.next = (this.next + 1) % size;
    let connection = this.slots[index];
    if (connection === undefined || connection.isClosing) {
      connection = this.dial();
      this.slots[index] = connection;
    }
    return connection;
  }

  override onClose(connection: ClientConnection): void {
    super.onClose(connection);
    const index = this.slots.indexOf(connection);
    if (index >= 0) this.slots[index] = undefined;
  }
}

/** One stream at a time per connection; idle connections are reused, closed after a while. */
export class LongPool extends ConnectionPool {
  private readonly idle: ClientConnection[] = [];
  private readonly idleTimers = new Map<ClientConnection, NodeJS.Timeout>();

  acquire(): ClientConnection {
    for (let c = this.idle.pop(); c !== undefined; c = this.idle.pop()) {
      clearTimeout(this.idleTimers.get(c));
      this.idleTimers.delete(c);
      if (!c.isClosing) return c;
    }
    return this.dial();
  }

  override onStreamEnd(connection: ClientConnection): void {
    if (connection.isClosed || connection.streamCount > 0) return;
    this.idle.push(connection);
    const timer = setTimeout(() => {
      this.idleTimers.delete(connection);
      const index = this.idle.indexOf(connection);
      if (index >= 0) this.idle.splice(index, 1);
      void connection.end();
    }, this.options.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(connection, timer);
  }

  override onClose(connection: ClientConnection): void {
    super.onClose(connection);
    clearTimeout(this.idleTimers.get(connection));
    this.idleTimers.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
  }

  override async close(): Promise<void> {
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    this.idle.length = 0;
    await super.close();
  }
}

/** One connection per stream, closed when the stream ends. */
export class ShortPool extends ConnectionPool {
  acquire(): ClientConnection {
    return this.dial();
  }

  override onStreamEnd(connection: ClientConnection): void {
    if (connection.streamCount === 0) void connection.end();
  }
}

/** The pool for `mode`. @internal not covered by semver */
export function createPool(
  mode: PoolMode,
  address: TransportAddress,
  options: PoolOptions,
): ConnectionPool {
  switch (mode) {
    case 'mux':
      return new MuxPool(address, options);
    case 'long':
      return new LongPool(address, options);
    case 'short':
      return new ShortPool(address, options);
  }
}
