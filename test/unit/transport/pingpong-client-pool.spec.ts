import { createServer, Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { RpcCallError, RpcCallErrorKind } from '../../../lib/errors/index.js';
import type { PingPongClientConnection } from '../../../lib/transport/pingpong-client-connection.js';
import {
  PingPongClientPool,
  type PingPongPoolOptions,
  type PoolWaiter,
} from '../../../lib/transport/pingpong-client-pool.js';
import { latch, waitFor } from '../../helpers/wait.js';

const base: PingPongPoolOptions = {
  maxConnections: 2,
  maxIdle: 10,
  idleTimeoutMs: 60_000,
  maxWaiters: 10,
  dialTimeoutMs: 1000,
};

/** A waiter whose outcome is a promise. */
function waiter(): PoolWaiter & { outcome: Promise<PingPongClientConnection | RpcCallError> } {
  const done = latch<PingPongClientConnection | RpcCallError>();
  return {
    outcome: done.promise,
    grant: (connection) => {
      done.resolve(connection);
    },
    refuse: (error) => {
      done.resolve(error);
    },
  };
}

describe('PingPongClientPool', () => {
  let server: Server | undefined;
  let pool: PingPongClientPool | undefined;
  afterEach(async () => {
    await pool?.close();
    const listening = server;
    if (listening !== undefined) {
      await new Promise<void>((resolve) => {
        listening.close(() => {
          resolve();
        });
      });
    }
    pool = server = undefined;
  });

  async function listen(): Promise<number> {
    server = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  it('a dial that never connects fails after dialTimeoutMs with Go text', async () => {
    pool = new PingPongClientPool(
      { host: '10.0.0.1', port: 1 },
      { ...base, dialTimeoutMs: 30, createSocket: () => new Socket() },
    );
    const w = waiter();
    pool.acquire(w);
    const error = await w.outcome;
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.GetConnection);
    expect((error as Error).message).toBe(
      'remote or network error: get connection error: dial tcp 10.0.0.1:1: i/o timeout',
    );
    await waitFor(() => pool?.stats().connections === 0, 'the dial forgotten');
  });

  it('a waiter that gives up while dialing leaves the connection idle for the next call', async () => {
    const port = await listen();
    pool = new PingPongClientPool({ host: '127.0.0.1', port }, base);
    const gaveUp = waiter();
    pool.acquire(gaveUp);
    pool.cancelWait(gaveUp);
    await waitFor(() => pool?.stats().idle === 1, 'the dialed connection idles');
    const next = waiter();
    pool.acquire(next);
    const connection = await next.outcome;
    expect(connection).not.toBeInstanceOf(RpcCallError);
    expect(pool.stats()).toMatchObject({ connections: 1, idle: 0, dialedConnections: 1 });
  });

  it('maxWaiters 0: with every connection busy a call is refused at once', async () => {
    const port = await listen();
    pool = new PingPongClientPool(
      { host: '127.0.0.1', port },
      { ...base, maxConnections: 1, maxWaiters: 0 },
    );
    const first = waiter();
    pool.acquire(first);
    await first.outcome;
    const second = waiter();
    pool.acquire(second);
    expect(((await second.outcome) as RpcCallError).kind).toBe(RpcCallErrorKind.Overlimit);
  });

  it('a connection released as not reusable is closed and its slot dials for the next waiter', async () => {
    const port = await listen();
    pool = new PingPongClientPool({ host: '127.0.0.1', port }, { ...base, maxConnections: 1 });
    const first = waiter();
    pool.acquire(first);
    const connection = (await first.outcome) as PingPongClientConnection;
    const second = waiter();
    pool.acquire(second);
    expect(pool.stats().waiting).toBe(1);
    pool.release(connection, false);
    const replacement = await second.outcome;
    expect(replacement).not.toBe(connection);
    expect(pool.stats()).toMatchObject({ connections: 1, dialedConnections: 2, waiting: 0 });
  });
});
