/**
 * Test-matrix S-5, the idle part: a Kitex client that goes idle longer than its pool's
 * MaxIdleTimeout, then calls again. Whatever the pool does with the idle connection, our server
 * must close its side cleanly, log nothing as an error and serve the next call. The two pools
 * differ (test/fixtures/kitex/README.md, D15): the long pool closes the idle connection (FIN);
 * the mux pool only drops it from the pool and dials a new one, leaving the old one open until
 * the server's idle timeout (or the client process) ends it.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { TcpAddress } from '../../lib/transport/address.js';
import { TTStreamServerTransport } from '../../lib/transport/server-transport.js';
import { runKitexClient } from './support/peer.js';
import { registerTestService } from './support/test-service.js';

/** What our server saw of one connection, in ms since the test started. */
interface ConnectionLife {
  opened: number;
  peerFin?: number;
  closed?: number;
  closedWithError?: boolean;
}

let server: TTStreamServerTransport | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Our TestService with `idleTimeoutMs`, recording every connection's life and every error. */
async function observedServer(idleTimeoutMs: number) {
  const started = Date.now();
  const at = (): number => Date.now() - started;
  server = new TTStreamServerTransport({ gracePeriodMs: 1000, idleTimeoutMs });
  registerTestService(server);
  const errors: unknown[] = [];
  server.on('error', (error) => errors.push(error));
  const connections: ConnectionLife[] = [];
  server.on('connection', (socket: Socket) => {
    const life: ConnectionLife = { opened: at() };
    connections.push(life);
    socket.once('end', () => (life.peerFin = at()));
    socket.once('close', (hadError) => {
      life.closed = at();
      life.closedWithError = hadError;
    });
  });
  const bound = (await server.listen({ host: '127.0.0.1', port: 0 })) as TcpAddress;
  return { address: `${bound.host}:${bound.port}`, errors, connections, server };
}

/** Runs idle_reap: a call, 3 s idle (pool MaxIdleTimeout 1 s), a call; both must pass. */
async function idleReap(address: string, pool: 'mux' | 'long') {
  const run = await runKitexClient(address, {
    pool,
    'idle-timeout': '1s',
    'idle-wait': '3s',
    scenario: 'idle_reap',
  });
  expect(run.verdicts.map((v) => [v.scenario, v.problems])).toEqual([['idle_reap', []]]);
  expect(run.code).toBe(0);
}

/** The client process has exited: our server saw every connection close, none with an error. */
async function expectAllClosedCleanly(ours: Awaited<ReturnType<typeof observedServer>>) {
  const deadline = Date.now() + 5000;
  while (ours.server.stats().connections > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(ours.server.stats()).toMatchObject({ connections: 0, streams: 0, handlers: 0 });
  expect(ours.connections.map((c) => c.closedWithError)).toEqual(ours.connections.map(() => false));
  expect(ours.errors).toEqual([]);
}

describe('Kitex client idle reap against our server (S-5)', () => {
  it('long pool: Kitex closes the idle connection; the next call comes on a new one', async () => {
    const ours = await observedServer(600_000);
    await idleReap(ours.address, 'long');
    await expectAllClosedCleanly(ours);
    const [first, second] = ours.connections;
    expect(ours.connections).toHaveLength(2);
    // The FIN came from Kitex, about 1-2 s into the 3 s pause, before the second call.
    expect(first?.peerFin).toBeDefined();
    expect(first?.peerFin ?? Infinity).toBeLessThan(second?.opened ?? -1);
  }, 30_000);

  it('mux pool: Kitex leaves the idle connection open and dials another (D15)', async () => {
    const ours = await observedServer(600_000);
    await idleReap(ours.address, 'mux');
    const [first, second] = ours.connections;
    expect(ours.connections).toHaveLength(2);
    // Still open when the second call's connection arrived: closed only by the process exit.
    expect(first?.closed ?? Infinity).toBeGreaterThan(second?.opened ?? Infinity);
    await expectAllClosedCleanly(ours);
  }, 30_000);

  it('mux pool: our idle timeout closes the connection Kitex left open, cleanly', async () => {
    const ours = await observedServer(1500);
    await idleReap(ours.address, 'mux');
    await expectAllClosedCleanly(ours);
    const [first, second] = ours.connections;
    expect(ours.connections).toHaveLength(2);
    // Closed by our timer (about 1.5 s after the first call), before the second call arrived.
    expect(first?.closed ?? Infinity).toBeLessThan(second?.opened ?? -1);
    expect(first?.closed ?? 0).toBeGreaterThanOrEqual(1400);
  }, 30_000);
});
