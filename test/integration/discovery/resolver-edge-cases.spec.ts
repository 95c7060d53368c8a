// Resolver edge cases seen through a real client and real loopback servers: an empty list, repeated
// addresses, weight 0, malformed etcd records, and an instance that accepts TCP but never answers
// (ejected after timeouts, probed back once its ejection ends, ejected again at its first failure).
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import type { Etcd3 } from 'etcd3';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  EtcdResolver,
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
import { describeEtcd, rawEtcd } from '../../helpers/etcd-fixture.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { echoIdl, request, type ServerApp } from '../nest/harness.js';
import { startNamed, tally, type NamedReply } from './named-servers.js';

const unary = (client: TTStreamClient, timeoutMs?: number): Promise<NamedReply> =>
  firstValueFrom(
    client.send<NamedReply>('TestService.EchoUnary', request('x'), {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    }),
  );
const stream = (client: TTStreamClient, timeoutMs?: number): Promise<NamedReply[]> =>
  lastValueFrom(
    client
      .serverStream<unknown, NamedReply>('TestService.EchoServer', request('x', 2), {
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      })
      .pipe(toArray()),
  );

describe('resolver edge cases (static lists, loopback Nest servers)', () => {
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

  async function servers(count: number): Promise<ServerApp[]> {
    const started = await Promise.all(Array.from({ length: count }, (_, i) => startNamed(`s${i}`)));
    apps.push(...started);
    return started;
  }

  function clientOf(resolver: StaticResolver, options: Partial<TTStreamClientOptions> = {}) {
    const client = new TTStreamClient({
      idl: echoIdl,
      service: 'echo',
      resolver,
      logger: false,
      transportOptions: { poolSize: 1 },
      ...options,
    });
    clients.push(client);
    return client;
  }

  /** A server on 127.0.0.1 that accepts connections and reads them, and never writes a byte. */
  async function silentServer(): Promise<number> {
    const silent = createServer((socket) => {
      rawSockets.push(socket);
      socket.resume();
    });
    raw.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    return (silent.address() as { port: number }).port;
  }

  it('an empty list fails every kind of call at once with an error naming the service', async () => {
    const resolver = new StaticResolver({ echo: [] });
    const client = clientOf(resolver);
    // No timeout on these calls: they must fail by themselves, not hang.
    for (const attempt of [unary(client), stream(client), client.connect()]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceDiscoveryError);
      expect((error as ServiceDiscoveryError).kind).toBe('no-instance');
      expect((error as ServiceDiscoveryError).service).toBe('echo');
      expect((error as Error).message).toBe(
        "service discovery error: no instance of service 'echo'",
      );
    }
    // The list filling up later is followed: the next calls succeed.
    const [s0] = await servers(1);
    resolver.update('echo', [`127.0.0.1:${s0?.port}`]);
    expect((await unary(client)).message).toBe('s0');
    expect((await stream(client)).map((r) => r.message)).toEqual(['s0', 's0']);
  });

  it('a service the resolver does not know fails with a resolve error naming it', async () => {
    const client = clientOf(new StaticResolver({ other: ['127.0.0.1:1'] }));
    for (const attempt of [unary(client), stream(client)]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceDiscoveryError);
      expect((error as ServiceDiscoveryError).kind).toBe('resolve');
      expect((error as Error).message).toContain("service 'echo'");
    }
  });

  it('a repeated address is one instance (its first entry kept); each repeat is reported', async () => {
    const [a, b] = await servers(2);
    const skipped: string[] = [];
    const list: StaticInstanceEntry[] = [
      `127.0.0.1:${a?.port}`,
      { host: '127.0.0.1', port: a?.port ?? 0, weight: 50 },
      `127.0.0.1:${a?.port}`,
      { host: '127.0.0.1', port: b?.port ?? 0, weight: 10 },
    ];
    const resolver = new StaticResolver({ echo: list }, (_, reason) => skipped.push(reason));
    const client = clientOf(resolver);
    const names: string[] = [];
    for (let i = 0; i < 20; i++) names.push((await unary(client)).message);
    for (let i = 0; i < 4; i++) names.push((await stream(client))[0]?.message ?? '?');
    // Three entries of s0 (one of weight 50) would give s0 far more than half.
    expect(tally(names)).toEqual({ s0: 12, s1: 12 });
    expect(skipped).toEqual([
      `duplicate address 127.0.0.1:${a?.port}`,
      `duplicate address 127.0.0.1:${a?.port}`,
    ]);
  });

  it('weight 0 (or less) counts as 10, as in Kitex: such instances get their share', async () => {
    const started = await servers(3);
    const weights = [0, 10, -3];
    const resolver = new StaticResolver({
      echo: started.map((s, i) => ({ host: '127.0.0.1', port: s.port, weight: weights[i] })),
    });
    const client = clientOf(resolver);
    const names: string[] = [];
    for (let i = 0; i < 30; i++) names.push((await unary(client)).message);
    expect(tally(names)).toEqual({ s0: 10, s1: 10, s2: 10 });
  });

  describe('an instance that accepts TCP but never answers', () => {
    const BASE_EJECTION_MS = 10_000;
    // Each call to the silent instance costs this; generous so that no good call times out.
    const CALL_TIMEOUT_MS = 1000;
    // Outlier ejection reads this clock: the test moves it instead of waiting out ejections.
    let skew = 0;
    const now = (): number => Date.now() + skew;

    async function silentFleet(): Promise<TTStreamClient> {
      skew = 0;
      const started = await servers(2);
      const silentPort = await silentServer();
      const resolver = new StaticResolver({
        echo: [...started.map((s) => `127.0.0.1:${s.port}`), `127.0.0.1:${silentPort}`],
      });
      return clientOf(resolver, {
        discovery: {
          outlierDetection: {
            consecutiveFailures: 2,
            baseEjectionMs: BASE_EJECTION_MS,
            maxEjectionMs: 60_000,
            now,
          },
        },
      });
    }

    /** One call; 'timeout' when it timed out (any other failure fails the test). */
    async function outcome(call: () => Promise<string>): Promise<string> {
      try {
        return await call();
      } catch (error) {
        const unaryTimeout =
          error instanceof RpcCallError && error.kind === RpcCallErrorKind.RPCTimeout;
        const streamTimeout =
          error instanceof TTStreamError && error.kind === TTStreamErrorCode.StreamTimeout;
        if (unaryTimeout || streamTimeout) return 'timeout';
        throw error;
      }
    }

    /** Makes `count` calls one after the other; their outcomes. */
    async function calls(count: number, call: () => Promise<string>): Promise<string[]> {
      const out: string[] = [];
      for (let i = 0; i < count; i++) out.push(await outcome(call));
      return out;
    }

    it('unary: ejected after two timeouts, probed back after the ejection, re-ejected at once', async () => {
      const client = await silentFleet();
      const call = (): Promise<string> => unary(client, CALL_TIMEOUT_MS).then((r) => r.message);
      // Round robin over three: the silent one gets every third call until its 2nd timeout.
      const first = await calls(6, call);
      expect(tally(first)).toEqual({ s0: 2, s1: 2, timeout: 2 });
      const ejected = await calls(10, call);
      expect(tally(ejected)).toEqual({ s0: 5, s1: 5 });
      // The ejection ends: the silent instance is probed with a real call, which times out...
      skew += BASE_EJECTION_MS + 1;
      const probe = await calls(4, call);
      expect(probe.filter((o) => o === 'timeout')).toHaveLength(1);
      // ...and ejects it again at once (one failure on probation), for twice as long.
      expect(await calls(6, call)).not.toContain('timeout');
      skew += BASE_EJECTION_MS + 1;
      expect(await calls(6, call)).not.toContain('timeout');
      skew += BASE_EJECTION_MS;
      const second = await calls(4, call);
      expect(second.filter((o) => o === 'timeout')).toHaveLength(1);
    });

    it('streams: stream timeouts eject it too, and the good instances take every stream', async () => {
      const client = await silentFleet();
      const call = (): Promise<string> =>
        stream(client, CALL_TIMEOUT_MS).then((r) => r.map((m) => m.message).join(','));
      const first = await calls(6, call);
      expect(tally(first)).toEqual({ 's0,s0': 2, 's1,s1': 2, timeout: 2 });
      const ejected = await calls(8, call);
      expect(tally(ejected)).toEqual({ 's0,s0': 4, 's1,s1': 4 });
      skew += BASE_EJECTION_MS + 1;
      const probe = await calls(4, call);
      expect(probe.filter((o) => o === 'timeout')).toHaveLength(1);
      expect(await calls(6, call)).not.toContain('timeout');
    });
  });
});

const GO_RECORD = (address: string, weight = 10): string =>
  `{"network":"tcp","address":"${address}","weight":${weight},"tags":null}`;

describeEtcd('resolver edge cases (etcd records, loopback Nest servers)', () => {
  let etcd: EtcdServer;
  let rawClient: Etcd3;
  const apps: ServerApp[] = [];
  const clients: TTStreamClient[] = [];
  const resolvers: EtcdResolver[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
    rawClient = rawEtcd(etcd.endpoint);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    // The client does not own its resolver: closing it is the caller's job.
    await Promise.all(resolvers.splice(0).map((r) => r.close()));
    await Promise.all(apps.splice(0).map((a) => a.app.close().catch(() => undefined)));
  });
  afterAll(async () => {
    rawClient.close();
    await etcd.dispose();
  });

  const put = (service: string, key: string, value: string): Promise<unknown> =>
    rawClient.put(`kitex/registry-etcd/${service}/${key}`).value(value).exec();

  function clientOf(service: string): TTStreamClient {
    // Default onMalformedRecord: a process warning per skipped record.
    const resolver = new EtcdResolver({ endpoints: [etcd.endpoint], requestTimeoutMs: 2000 });
    resolvers.push(resolver);
    const client = new TTStreamClient({
      idl: echoIdl,
      service,
      resolver,
      logger: false,
      transportOptions: { poolSize: 1 },
    });
    clients.push(client);
    return client;
  }

  it('malformed records are skipped with a warning each; weight 0 and a repeated address as in Kitex', async () => {
    const started = await Promise.all([startNamed('a'), startNamed('b')]);
    apps.push(...started);
    const [a, b] = started.map((s) => `127.0.0.1:${s.port}`) as [string, string];
    await put('edges', a, GO_RECORD(a, 0));
    await put('edges', b, GO_RECORD(b, 10));
    await put('edges', 'x-bad-json', 'not json');
    await put('edges', 'x-unix', '{"network":"unix","address":"/tmp/s.sock","weight":10}');
    // Another key announcing b's address again, with a weight that would skew the split.
    await put('edges', 'y-dup', GO_RECORD(b, 90));
    // The resolver's default report: process.emitWarning (the test's `process` is Jest's copy, so
    // its 'warning' event is not seen here; the call is).
    const warnings: string[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation((warning, options) => {
      const code = typeof options === 'object' ? options.code : undefined;
      if (code === 'TTSTREAM_ETCD_MALFORMED_RECORD') warnings.push(String(warning));
    });
    try {
      const client = clientOf('edges');
      const names: string[] = [];
      for (let i = 0; i < 20; i++) names.push((await unary(client)).message);
      for (let i = 0; i < 4; i++) names.push((await stream(client))[0]?.message ?? '?');
      // a's weight 0 counts as 10; the second record for b is skipped, not added or summed.
      expect(tally(names)).toEqual({ a: 12, b: 12 });
      // Each skipped record once.
      expect(warnings.map((w) => /'[^']*\/([^'/]+)'/.exec(w)?.[1]).sort()).toEqual([
        'x-bad-json',
        'x-unix',
        'y-dup',
      ]);
      expect(warnings.find((w) => w.includes('x-unix'))).toMatch(/network 'unix'/);
      expect(warnings.find((w) => w.includes('y-dup'))).toMatch(/duplicate address/);
    } finally {
      spy.mockRestore();
    }
  });

  it('a service without records fails calls with an error naming the service', async () => {
    const client = clientOf('nobody-registered');
    for (const attempt of [unary(client), stream(client)]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceDiscoveryError);
      expect((error as ServiceDiscoveryError).kind).toBe('no-instance');
      expect((error as Error).message).toBe(
        "service discovery error: no instance of service 'nobody-registered'",
      );
    }
  });
});
