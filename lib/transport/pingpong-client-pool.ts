import { performance } from 'node:perf_hooks';
import { RpcCallError, RpcCallErrorKind } from '../errors/rpc-call-error.js';
import { formatAddress, type TransportAddress } from './address.js';
import {
  PingPongClientConnection,
  type PingPongConnectionEvents,
  type PingPongConnectionOptions,
} from './pingpong-client-connection.js';

/** Connections per address a ping-pong client opens at most (busy, idle and dialing). */
export const DEFAULT_PINGPONG_MAX_CONNECTIONS = 100;
/** Idle connections kept per address (Kitex long pool `MaxIdlePerAddress`). */
export const DEFAULT_PINGPONG_MAX_IDLE = 10;
/** An idle connection is closed after this, in ms (Kitex client `MaxIdleTimeout`: 1 min). */
export const DEFAULT_PINGPONG_IDLE_TIMEOUT_MS = 60_000;
/** Calls that may wait for a connection once all are busy; past it a call fails at once. */
export const DEFAULT_PINGPONG_MAX_WAITERS = 10_000;

/** Options of {@link PingPongClientPool}. @internal not covered by semver */
export interface PingPongPoolOptions extends PingPongConnectionOptions {
  readonly maxConnections: number;
  readonly maxIdle: number;
  readonly idleTimeoutMs: number;
  readonly maxWaiters: number;
  /** Told when a connection's socket connects. */
  readonly onConnect?: (connection: PingPongClientConnection) => void;
  /** Told when a dial fails or a connection dies of an error (not on clean closes). */
  readonly onConnectionError?: (error: RpcCallError) => void;
}

/** A call waiting for a connection. @internal not covered by semver */
export interface PoolWaiter {
  /** The connection is now the waiter's: it writes one request, then releases it. */
  grant(connection: PingPongClientConnection): void;
  /** No connection for this waiter: the dial failed, the queue is full or the pool closed. */
  refuse(error: RpcCallError): void;
}

/** Counts of a {@link PingPongClientPool}. */
export interface PingPongPoolStats {
  /** Open connections (busy, idle and dialing). */
  readonly connections: number;
  /** Connections waiting for a call. */
  readonly idle: number;
  /** Calls waiting for a connection. */
  readonly waiting: number;
  /** Connections dialed since the pool was created (cumulative). */
  readonly dialedConnections: number;
}

/**
 * Connections to one address for ping-pong calls, as Kitex's long pool keeps them: one call in
 * flight per connection (a Kitex server reads a connection's requests one after another), idle
 * connections reused last-in first-out, at most `maxIdle` kept, each closed after `idleTimeoutMs`
 * idle. Unlike Kitex's, it also bounds the connections it opens (`maxConnections`); calls beyond
 * wait in a bounded queue (`maxWaiters`, then `request over limit`).
 * @internal not covered by semver
 */
export class PingPongClientPool implements PingPongConnectionEvents {
  private readonly all = new Set<PingPongClientConnection>();
  /** Idle connections, oldest first: calls take the newest, the reaper closes the oldest. */
  private readonly idle: PingPongClientConnection[] = [];
  private readonly queue: PoolWaiter[] = [];
  /** Connections being dialed for a waiter (removed when the waiter gives up). */
  private readonly dialing = new Map<PingPongClientConnection, PoolWaiter>();
  private reaper: NodeJS.Timeout | undefined;
  private closed = false;
  private dialedCount = 0;

  constructor(
    readonly address: TransportAddress,
    private readonly options: PingPongPoolOptions,
  ) {}

  /**
   * Finds `waiter` a connection: an idle one at once (synchronously), else a new one once
   * dialed, else the next one released. Refuses when the pool is closed or the queue is full.
   */
  acquire(waiter: PoolWaiter): void {
    if (this.closed) {
      waiter.refuse(closedError());
      return;
    }
    for (let c = this.idle.pop(); c !== undefined; c = this.idle.pop()) {
      if (!c.isClosed) {
        waiter.grant(c);
        return;
      }
    }
    if (this.all.size < this.options.maxConnections) {
      this.dialFor(waiter);
      return;
    }
    if (this.queue.length >= this.options.maxWaiters) {
      waiter.refuse(
        new RpcCallError(
          RpcCallErrorKind.Overlimit,
          `${this.queue.length} calls already wait for one of the ${this.options.maxConnections} connections to ${formatAddress(this.address)} (maxWaiters)`,
        ),
      );
      return;
    }
    this.queue.push(waiter);
  }

  /** `waiter` gave up (timeout, cancel): it is taken off the queue, or its dial is kept for later. */
  cancelWait(waiter: PoolWaiter): void {
    const index = this.queue.indexOf(waiter);
    if (index >= 0) this.queue.splice(index, 1);
    for (const [connection, w] of this.dialing) {
      if (w === waiter) this.dialing.delete(connection);
    }
  }

  /**
   * Gives back a connection after a call: to the next waiter, else idle (up to `maxIdle`). A
   * connection that is not `reusable` (a reply may still come, the server asked to reset it, the
   * reply was bad) is closed.
   */
  release(connection: PingPongClientConnection, reusable: boolean): void {
    if (!reusable || this.closed || connection.isClosed || connection.isBusy) {
      // Busy: a reply may still come, so the socket goes at once; otherwise after a flush.
      if (connection.isBusy) connection.destroy();
      else connection.end();
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) {
      next.grant(connection);
      return;
    }
    if (this.idle.length >= this.options.maxIdle) {
      connection.end();
      return;
    }
    connection.idleSince = performance.now();
    this.idle.push(connection);
    this.armReaper();
  }

  onConnect(connection: PingPongClientConnection): void {
    this.options.onConnect?.(connection);
  }

  onClose(connection: PingPongClientConnection, error: RpcCallError | undefined): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    if (error !== undefined) this.options.onConnectionError?.(error);
    // A slot is free: dial for the longest waiter.
    const next = this.closed ? undefined : this.queue.shift();
    if (next !== undefined) this.dialFor(next);
  }

  /** Connection and queue counts. */
  stats(): PingPongPoolStats {
    return {
      connections: this.all.size,
      idle: this.idle.length,
      waiting: this.queue.length,
      dialedConnections: this.dialedCount,
    };
  }

  /** Refuses waiting calls, closes every connection (calls in flight fail) and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    this.reaper = undefined;
    this.idle.length = 0;
    for (const waiter of this.queue.splice(0)) waiter.refuse(closedError());
    for (const waiter of this.dialing.values()) waiter.refuse(closedError());
    this.dialing.clear();
    const connections = [...this.all];
    for (const connection of connections) connection.destroy(closedError());
    await Promise.all(connections.map((c) => c.whenClosed));
  }

  private dialFor(waiter: PoolWaiter): void {
    const connection = PingPongClientConnection.dial(this.address, this.options, this);
    this.all.add(connection);
    this.dialedCount++;
    this.dialing.set(connection, waiter);
    connection.ready.then(
      () => {
        const owner = this.dialing.get(connection);
        this.dialing.delete(connection);
        // The waiter gave up while dialing: the connection serves the next one, or idles.
        if (owner === undefined) this.release(connection, true);
        else owner.grant(connection);
      },
      (error: unknown) => {
        const owner = this.dialing.get(connection);
        this.dialing.delete(connection);
        owner?.refuse(error instanceof RpcCallError ? error : closedError());
      },
    );
  }

  /** Closes idle connections past `idleTimeoutMs`, checking a few times per timeout. */
  private armReaper(): void {
    if (this.reaper !== undefined) return;
    const timeoutMs = this.options.idleTimeoutMs;
    const period = Math.max(5, Math.min(5_000, Math.ceil(timeoutMs / 2)));
    this.reaper = setInterval(() => {
      const now = performance.now();
      while (
        this.idle.length > 0 &&
        now - (this.idle[0] as PingPongClientConnection).idleSince >= timeoutMs
      ) {
        (this.idle.shift() as PingPongClientConnection).end();
      }
      if (this.idle.length === 0) {
        clearInterval(this.reaper);
        this.reaper = undefined;
      }
    }, period);
    this.reaper.unref();
  }
}

function closedError(): RpcCallError {
  return new RpcCallError(RpcCallErrorKind.InternalException, 'client is closed');
}
