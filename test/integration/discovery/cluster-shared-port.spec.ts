// Scale-out on one machine with node:cluster: workers each run a TTStreamServer app and call
// listen() on the same port; the primary accepts and hands connections to the workers in turn.
// Runs test/integration/discovery/cluster-app.ts as a real process tree (primary + 3 workers).
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Etcd3 } from 'etcd3';
import { firstValueFrom, lastValueFrom, tap, toArray } from 'rxjs';
import ts from 'typescript';
import { EtcdResolver } from '../../../lib/discovery/index.js';
import { TTStreamClient } from '../../../lib/index.js';
import { describeEtcd, eventually, rawEtcd } from '../../helpers/etcd-fixture.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { startClusterApp, type ClusterApp } from './cluster-process.js';
import { echoIdl, request } from '../nest/harness.js';
import { tally } from './named-servers.js';

const ROOT = process.cwd();
const OUT_DIR = resolve(ROOT, '.tmp', 'cluster-shared-port');
const WORKERS = 3;

/** Compiles cluster-app.ts (and what it imports) with tsconfig.run.json's settings. */
function buildClusterApp(): string {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(ROOT, 'tsconfig.run.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (config === undefined) throw new Error('cannot read tsconfig.run.json');
  const entry = resolve(ROOT, 'test/integration/discovery/cluster-app.ts');
  const program = ts.createProgram([entry], { ...config.options, outDir: OUT_DIR });
  if (program.emit().emitSkipped) throw new Error('could not compile cluster-app.ts');
  return join(OUT_DIR, 'test', 'integration', 'discovery', 'cluster-app.js');
}

interface Reply {
  message: string;
  index: number;
}

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true when a TCP connection to the port is accepted, false when refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

let entry: string;
beforeAll(() => {
  entry = buildClusterApp();
}, 120_000);
afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
});

describe('node:cluster: workers sharing one port', () => {
  const apps: ClusterApp[] = [];
  const clients: TTStreamClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const app of apps.splice(0)) await app.kill();
  });

  it('spreads connections over the workers, serves every call, and SIGTERM to the primary stops all (in-flight stream finished)', async () => {
    const app = await startClusterApp(entry, { CLUSTER_WORKERS: String(WORKERS) });
    apps.push(app);
    expect(app.workerPids).toHaveLength(WORKERS);
    expect(app.workerPids).not.toContain(app.child.pid);
    // Twelve clients: each its own connections (one streaming, one unary).
    const many = Array.from({ length: 12 }, () => {
      const client = new TTStreamClient({
        idl: echoIdl,
        port: app.port,
        logger: false,
        transportOptions: { poolSize: 1 },
      });
      clients.push(client);
      return client;
    });
    const pids: string[] = [];
    for (const client of many) {
      for (let i = 0; i < 3; i++) {
        const reply = await firstValueFrom(
          client.send<Reply>('TestService.EchoUnary', request('x', i), { timeoutMs: 10_000 }),
        );
        pids.push(reply.message);
      }
      const streamed = await lastValueFrom(
        client
          .serverStream<unknown, Reply>('TestService.EchoServer', request('x', 2), {
            timeoutMs: 10_000,
          })
          .pipe(toArray()),
      );
      expect(streamed).toHaveLength(2);
      expect(new Set(streamed.map((r) => r.message)).size).toBe(1);
      pids.push(streamed[0]?.message ?? '?');
    }
    expect(pids).toHaveLength(48);
    const workers = new Set(app.workerPids.map((pid) => `pid:${pid}`));
    for (const pid of pids) expect(workers.has(pid)).toBe(true);
    const counts = tally(pids);
    // One client's unary calls share its connection, so they share a worker.
    expect(Object.keys(counts).length).toBeGreaterThan(1);

    // A slow stream in flight when the primary gets SIGTERM still finishes.
    const slowClient = many[0] as TTStreamClient;
    let onFirst: () => void = () => undefined;
    const started = new Promise<void>((r) => (onFirst = r));
    const slow = lastValueFrom(
      slowClient
        .serverStream<unknown, Reply>('TestService.EchoServer', request('slow', 10), {
          timeoutMs: 20_000,
        })
        .pipe(
          tap(() => {
            onFirst();
          }),
          toArray(),
        ),
    );
    await started;
    app.child.kill('SIGTERM');
    const done = await slow;
    expect(done.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('cluster stopped');
    await eventually(() => app.workerPids.every((pid) => !alive(pid)), 'every worker gone');
    expect(await accepts(app.port)).toBe(false);
  }, 60_000);
});

describeEtcd('node:cluster: one etcd record for the shared port, kept by the primary', () => {
  let etcd: EtcdServer;
  let raw: Etcd3;
  const apps: ClusterApp[] = [];
  const clients: TTStreamClient[] = [];
  const resolvers: EtcdResolver[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    raw = rawEtcd(etcd.endpoint);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    // The client does not own its resolver: closing it is the caller's job.
    await Promise.all(resolvers.splice(0).map((r) => r.close()));
    for (const app of apps.splice(0)) await app.kill();
  });
  afterAll(async () => {
    raw.close();
    await etcd.dispose();
  });

  const records = async (): Promise<Record<string, string>> =>
    raw.getAll().prefix('kitex/registry-etcd/cluster-echo/').strings();

  it('the address is registered once; a client finding it reaches several workers; SIGTERM deregisters', async () => {
    const app = await startClusterApp(entry, {
      CLUSTER_WORKERS: String(WORKERS),
      CLUSTER_ETCD: etcd.endpoint,
    });
    apps.push(app);
    const address = `127.0.0.1:${app.port}`;
    expect(Object.keys(await records())).toEqual([`kitex/registry-etcd/cluster-echo/${address}`]);
    // One instance for the client, but a mux pool of 6 connections: they land on several workers.
    const resolver = new EtcdResolver({ endpoints: [etcd.endpoint] });
    resolvers.push(resolver);
    const client = new TTStreamClient({
      idl: echoIdl,
      service: 'cluster-echo',
      resolver,
      logger: false,
      transportOptions: { poolSize: 6 },
    });
    clients.push(client);
    const pids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const streamed = await lastValueFrom(
        client.serverStream<unknown, Reply>('TestService.EchoServer', request('x', 1), {
          timeoutMs: 10_000,
        }),
      );
      pids.push(streamed.message);
    }
    expect(new Set(pids).size).toBeGreaterThan(1);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(await records()).toEqual({});
    // Deregistered before the workers were told to stop.
    const text = app.output();
    expect(text.indexOf('primary: deregistered')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('primary: deregistered')).toBeLessThan(text.indexOf('cluster stopped'));
  }, 60_000);
});
