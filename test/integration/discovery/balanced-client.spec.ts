import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type { BalancedStreamTransport } from '../../../lib/client/balanced-stream-transport.js';
import {
  ConsistentHashBalancer,
  DnsResolver,
  type DnsLookup,
  type Resolver,
  ServiceDiscoveryError,
  StaticResolver,
  type StaticInstanceEntry,
} from '../../../lib/discovery/index.js';
import {
  RpcCallError,
  RpcCallErrorKind,
  TTStreamClient,
  type TTStreamClientOptions,
  TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/index.js';
import type { TTStreamServerTransport } from '../../../lib/transport/index.js';
import { waitFor } from '../../helpers/wait.js';
import { echoIdl, request, type ServerApp } from '../nest/harness.js';
import { startNamed, tally, type NamedReply } from './named-servers.js';

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Streams open on a server. */
function streamsOn(app: ServerApp): number {
  return app.server.unwrap<TTStreamServerTransport>().stats().streams;
}

describe('TTStreamClient over a resolver (3 loopback Nest servers)', () => {
  const apps: ServerApp[] = [];
  const clients: TTStreamClient[] = [];
  const raw: Server[] = [];
  const rawSockets: Socket[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(apps.splice(0).map((a) => a.app.close().catch(() => undefined)));
    for (const socket of rawSockets.splice(0)) socket.destroy();
    await Promise.all(raw.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function fleet(
    weights: number[],
    options: Partial<TTStreamClientOptions> = {},
  ): Promise<{ resolver: StaticResolver; client: TTStreamClient; entries: StaticInstanceEntry[] }> {
    const started = await Promise.all(weights.map((_, i) => startNamed(`s${i}`)));
    apps.push(...started);
    const entries = started.map((a, i) => ({
      host: '127.0.0.1',
      port: a.port,
      weight: weights[i],
      tags: { zone: i === 0 ? 'a' : 'b' },
    }));
    const resolver = new StaticResolver({ echo: entries });
    const client = new TTStreamClient({
      idl: echoIdl,
      service: 'echo',
      resolver,
      logger: false,
      transportOptions: { poolSize: 1 },
      ...options,
    });
    clients.push(client);
    return { resolver, client, entries };
  }

  const unary = (client: TTStreamClient, i = 0): Promise<NamedReply> =>
    firstValueFrom(client.send<NamedReply>('TestService.EchoUnary', request('x', i)));
  const stream = (client: TTStreamClient, message = 'x', count = 3): Promise<NamedReply[]> =>
    lastValueFrom(
      client
        .serverStream<unknown, NamedReply>('TestService.EchoServer', request(message, count))
        .pipe(toArray()),
    );

  it('spreads unary and streaming calls by weight (smooth weighted round robin)', async () => {
    const { client } = await fleet([3, 2, 1]);
    const names: string[] = [];
    for (let i = 0; i < 60; i++) names.push((await unary(client, i)).message);
    expect(tally(names)).toEqual({ s0: 30, s1: 20, s2: 10 });
    const streamed: string[] = [];
    for (let i = 0; i < 12; i++) {
      const replies = await stream(client);
      expect(new Set(replies.map((r) => r.message)).size).toBe(1);
      streamed.push(replies[0]?.message ?? '');
    }
    expect(tally(streamed)).toEqual({ s0: 6, s1: 4, s2: 2 });
  });

  it('an instance whose dial fails is skipped: zero failed calls, concurrent or not', async () => {
    const { client } = await fleet([1, 1, 1]);
    // Warm connections to every instance first, then close one of them.
    await Promise.all(Array.from({ length: 6 }, (_, i) => unary(client, i)));
    await Promise.all(Array.from({ length: 3 }, () => stream(client)));
    const closed = apps[1];
    await closed?.app.close();
    const results = await Promise.allSettled([
      ...Array.from({ length: 60 }, (_, i) => unary(client, i)),
      ...Array.from({ length: 30 }, () => stream(client).then((r) => r[0] as NamedReply)),
    ]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
    const names = results.map((r) => (r.status === 'fulfilled' ? r.value.message : '?'));
    expect(names).not.toContain('s1');
    expect(new Set(names)).toEqual(new Set(['s0', 's2']));
  });

  it('an instance removed from the list drains: its streams finish, then its connections close', async () => {
    const { resolver, client, entries } = await fleet([1, 1, 1], {
      discovery: { refreshIntervalMs: 60_000 },
    });
    await unary(client);
    // Three slow streams, one per instance (equal weights).
    const slow = Array.from({ length: 3 }, () => stream(client, 'slow', 10));
    await waitFor(() => apps.every((a) => streamsOn(a) === 1), 'a stream on each server');
    const transport = client.unwrap<BalancedStreamTransport>();
    resolver.update('echo', [entries[0], entries[1]] as StaticInstanceEntry[]);
    expect(transport.target.snapshot().draining).toBe(1);
    // New calls no longer go to the removed instance.
    const after: string[] = [];
    for (let i = 0; i < 6; i++) after.push((await unary(client, i)).message);
    expect(after).not.toContain('s2');
    const done = await Promise.all(slow);
    expect(done.map((r) => r.length)).toEqual([10, 10, 10]);
    expect(done.map((r) => r[0]?.message).sort()).toEqual(['s0', 's1', 's2']);
    await transport.target.drained();
    expect(transport.target.snapshot()).toEqual({
      listed: [`127.0.0.1:${apps[0]?.port}`, `127.0.0.1:${apps[1]?.port}`],
      draining: 0,
    });
    await waitFor(
      () => apps[2]?.server.unwrap<TTStreamServerTransport>().stats().connections === 0,
      'server 2 connections closed',
    );
  });

  it('tags filter the instances; an empty list fails with an error naming the service', async () => {
    const { resolver, client } = await fleet([1, 1, 1], { tags: { zone: 'b' } });
    const names: string[] = [];
    for (let i = 0; i < 8; i++) names.push((await unary(client, i)).message);
    expect(new Set(names)).toEqual(new Set(['s1', 's2']));
    resolver.update('echo', []);
    const unaryError = await unary(client).catch((e: unknown) => e);
    expect(unaryError).toBeInstanceOf(ServiceDiscoveryError);
    expect((unaryError as Error).message).toContain("no instance of service 'echo' (tags zone=b)");
    const streamError = await stream(client).catch((e: unknown) => e);
    expect(streamError).toBeInstanceOf(ServiceDiscoveryError);
  });

  it('an instance that accepts TCP but never answers is ejected after timeouts', async () => {
    const { resolver, client, entries } = await fleet([1], {
      discovery: { outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 60_000 } },
    });
    const silent = createServer((socket) => rawSockets.push(socket));
    raw.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    resolver.update('echo', [...entries, { host: '127.0.0.1', port }]);
    const call = (): Promise<string> =>
      firstValueFrom(
        client.send<NamedReply>('TestService.EchoUnary', request('x'), { timeoutMs: 400 }),
      ).then(
        (r) => r.message,
        () => 'timeout',
      );
    const first: string[] = [];
    for (let i = 0; i < 4; i++) first.push(await call());
    expect(tally(first)).toEqual({ s0: 2, timeout: 2 });
    const later: string[] = [];
    for (let i = 0; i < 6; i++) later.push(await call());
    expect(later).toEqual(Array(6).fill('s0'));
  });

  it('consistent hashing on a header keeps each key on one instance', async () => {
    const { client } = await fleet([1, 1, 1], {
      balancer: new ConsistentHashBalancer(),
      discovery: { hashKey: 'x-user' },
    });
    const byUser = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 12; u++) {
        const headers = { 'x-user': `u${u}` };
        const reply = await firstValueFrom(
          client.send<NamedReply>('TestService.EchoUnary', request('x'), { headers }),
        );
        const streamed = await lastValueFrom(
          client.serverStream<unknown, NamedReply>('TestService.EchoServer', request('x', 1), {
            headers,
          }),
        );
        const set = byUser.get(`u${u}`) ?? new Set<string>();
        set.add(reply.message).add(streamed.message);
        byUser.set(`u${u}`, set);
      }
    }
    for (const set of byUser.values()) expect(set.size).toBe(1);
    expect(new Set([...byUser.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });

  it('connect() resolves and dials an instance; the status says connected', async () => {
    const { client } = await fleet([1, 1]);
    const statuses: string[] = [];
    client.status.subscribe((s) => statuses.push(s));
    await client.connect();
    expect(statuses[0]).toBe('connected');
    await client.close();
    expect(statuses.at(-1)).toBe('disconnected');
  });

  it("DnsResolver: 'localhost' finds the server; an address nobody serves is failed over", async () => {
    const server = await startNamed('dns');
    apps.push(server);
    const local = new TTStreamClient({
      idl: echoIdl,
      service: `localhost:${server.port}`,
      resolver: new DnsResolver(),
      logger: false,
    });
    // The server listens on 127.0.0.1 only: a dial to ::1 fails (refused or unreachable).
    const lookup: DnsLookup = () =>
      Promise.resolve([
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ]);
    const both = new TTStreamClient({
      idl: echoIdl,
      service: `echo.headless:${server.port}`,
      resolver: new DnsResolver({ lookup }),
      logger: false,
    });
    clients.push(local, both);
    for (const client of [local, both]) {
      for (let i = 0; i < 4; i++) expect((await unary(client, i)).message).toBe('dns');
      for (let i = 0; i < 2; i++) expect((await stream(client))[0]?.message).toBe('dns');
    }
  });

  it('a resolver that never answers: calls end at their timeout or abort', async () => {
    const hanging: Resolver = { resolve: () => new Promise(() => undefined) };
    const client = new TTStreamClient({
      idl: echoIdl,
      service: 'echo',
      resolver: hanging,
      logger: false,
    });
    clients.push(client);
    const opts = { timeoutMs: 50 };
    const unaryError = await firstValueFrom(
      client.send('TestService.EchoUnary', request('x'), opts),
    ).catch((e: unknown) => e);
    expect(unaryError).toBeInstanceOf(RpcCallError);
    expect((unaryError as RpcCallError).kind).toBe(RpcCallErrorKind.RPCTimeout);
    const streamError = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('x', 1), opts),
    ).catch((e: unknown) => e);
    expect(streamError).toBeInstanceOf(TTStreamError);
    expect((streamError as TTStreamError).kind).toBe(TTStreamErrorCode.StreamTimeout);
    const controller = new AbortController();
    const aborted = lastValueFrom(
      client.serverStream('TestService.EchoServer', request('x', 1), {
        signal: controller.signal,
      }),
    ).catch((e: unknown) => e);
    controller.abort();
    expect((await aborted) as TTStreamError).toBeInstanceOf(TTStreamError);
  });

  it('connectAttempts bounds the instances one call tries (default 3)', async () => {
    const dead = await Promise.all([freePort(), freePort()]);
    const live = await startNamed('live');
    apps.push(live);
    const list = [...dead, live.port].map((port) => `127.0.0.1:${port}`);
    const make = (connectAttempts?: number): TTStreamClient => {
      const client = new TTStreamClient({
        idl: echoIdl,
        service: 'echo',
        resolver: new StaticResolver({ echo: list }),
        logger: false,
        discovery: { connectAttempts },
      });
      clients.push(client);
      return client;
    };
    const one = await unary(make(1)).catch((e: unknown) => e);
    expect(one).toBeInstanceOf(RpcCallError);
    expect((one as RpcCallError).kind).toBe(RpcCallErrorKind.GetConnection);
    const oneStream = await stream(make(1)).catch((e: unknown) => e);
    expect((oneStream as TTStreamError).kind).toBe(TTStreamErrorCode.TransportClosing);
    expect((await unary(make())).message).toBe('live');
    expect((await stream(make(0)))[0]?.message).toBe('live');
  });

  it('drainTimeoutMs bounds the drain: a stream still running then is closed', async () => {
    const { resolver, client, entries } = await fleet([1], { discovery: { drainTimeoutMs: 60 } });
    const slow = stream(client, 'slow', 50).catch((e: unknown) => e);
    await waitFor(() => apps[0] !== undefined && streamsOn(apps[0]) === 1, 'the slow stream');
    resolver.update('echo', []);
    const error = await slow;
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).kind).toBe(TTStreamErrorCode.TransportClosing);
    resolver.update('echo', entries);
    expect((await unary(client)).message).toBe('s0');
  });

  it('rejects service without resolver, and host/port together with them', () => {
    const resolver = new StaticResolver();
    expect(() => new TTStreamClient({ idl: echoIdl, service: 'echo' })).toThrow(TypeError);
    expect(() => new TTStreamClient({ idl: echoIdl, service: 'echo', resolver, port: 1 })).toThrow(
      'either host/port or service/resolver',
    );
  });
});
