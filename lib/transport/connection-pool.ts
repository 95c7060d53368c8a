import type { TTStreamError } from '../errors/index.js';
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
  /** Told when a connection's socket connects. */
  readonly onConnect?: (connection: ClientConnection) => void;
  /** Told when a dial fails or a connection dies of an error (not on clean closes). */
  readonly onConnectionError?: (error: TTStreamError, connection: ClientConnection) => void;
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

  /**
   * Resolves once a connection is established: a connected one at once, else the one being dialed,
   * else a new one kept for later streams. Concurrent calls share the dial. Rejects with the
   * dial's error (12006), bounded by the dial timeout.
   */
  async connect(): Promise<void> {
    const all = [...this.all];
    const connection =
      all.find((c) => c.isConnected) ?? all.find((c) => !c.isClosing) ?? this.warm();
    await connection.ready;
  }

  /** Dials a connection that later streams will use. */
  protected abstract warm(): ClientConnection;

  onConnect(connection: ClientConnection): void {
    this.options.onConnect?.(connection);
  }

  /** Live connections. */
  connections(): readonly ClientConnection[] {
    return [...this.all];
  }

  onStreamEnd(_connection: ClientConnection): void {
    // Mux: nothing to do.
  }

  onClose(connection: ClientConnection, error?: TTStreamError): void {
    this.all.delete(connection);
    if (error !== undefined) this.options.onConnectionError?.(error, connection);
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
    const connection = this.slot();
    this.next = (this.next + 1) % Math.max(1, this.options.poolSize);
    return connection;
  }

  /** Fills the slot the next stream takes, so that stream finds the connection ready. */
  protected warm(): ClientConnection {
    return this.slot();
  }

  /** The connection in the next slot, dialed if the slot is empty or its connection closing. */
  private slot(): ClientConnection {
    const index = this.next % Math.max(1, this.options.poolSize);
    let connection = this.slots[index];
    if (connection === undefined || connection.isClosing) {
      connection = this.dial();
      this.slots[index] = connection;
    }
    return connection;
  }

  override onClose(connection: ClientConnection, error?: TTStreamError): void {
    super.onClose(connection, error);
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

  /** Parks the new connection as idle (with its idle timer), ready for the next stream. */
  protected warm(): ClientConnection {
    const connection = this.dial();
    this.onStreamEnd(connection);
    return connection;
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

  override onClose(connection: ClientConnection, error?: TTStreamError): void {
    super.onClose(connection, error);
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

  /** A probe: nothing is kept between streams, so the connection is closed once it connects. */
  protected warm(): ClientConnection {
    const connection = this.dial();
    connection.ready.then(
      () => {
        if (connection.streamCount === 0) void connection.end();
      },
      () => undefined,
    );
    return connection;
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
