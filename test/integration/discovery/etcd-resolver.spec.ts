import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { Etcd3 } from 'etcd3';
import { ServiceDiscoveryError } from '../../../lib/discovery/discovery-error.js';
import {
  EtcdResolver,
  type EtcdResolverOptions,
  type MalformedEtcdRecord,
} from '../../../lib/discovery/etcd/etcd-resolver.js';
import type { ServiceInstance } from '../../../lib/discovery/service-instance.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { describeEtcd, eventually, rawEtcd, revokeLease } from '../../helpers/etcd-fixture.js';

const GO_RECORD = (address: string, weight = 10, tags = 'null'): string =>
  `{"network":"tcp","address":"${address}","weight":${weight},"tags":${tags}}`;

describeEtcd('EtcdResolver against a real etcd', () => {
  let server: EtcdServer;
  let raw: Etcd3;
  const resolvers: EtcdResolver[] = [];
  let serviceCounter = 0;
  const freshService = (): string => `svc${++serviceCounter}`;
  const resolver = (options: Partial<EtcdResolverOptions> = {}): EtcdResolver => {
    const created = new EtcdResolver({
      endpoints: [server.endpoint],
      requestTimeoutMs: 1000,
      onMalformedRecord: () => undefined,
      ...options,
    });
    resolvers.push(created);
    return created;
  };
  const put = (service: string, address: string, value: string): Promise<unknown> =>
    raw.put(`kitex/registry-etcd/${service}/${address}`).value(value).exec();

  beforeAll(async () => {
    server = await startEtcd();
    raw = rawEtcd(server.endpoint);
  });
  afterEach(async () => {
    await Promise.all(resolvers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    raw.close();
    await server.dispose();
  });

  it('reads the records kitex-contrib registry-etcd writes, weight <= 0 as 10', async () => {
    const service = freshService();
    await put(service, '127.0.0.1:9001', GO_RECORD('127.0.0.1:9001', 10, '{"zone":"a"}'));
    await put(service, '127.0.0.1:9002', GO_RECORD('127.0.0.1:9002', 0));
    await put(service, '127.0.0.1:9003', GO_RECORD('127.0.0.1:9003', -5));
    await put(service, '127.0.0.1:9004', GO_RECORD('127.0.0.1:9004', 30, '{}'));
    // another service sharing the prefix's first letters is not read
    await put(`${service}x`, '127.0.0.1:9999', GO_RECORD('127.0.0.1:9999'));
    const instances = await resolver().resolve(service);
    expect(instances).toEqual([
      { host: '127.0.0.1', port: 9001, weight: 10, tags: { zone: 'a' } },
      { host: '127.0.0.1', port: 9002, weight: 10, tags: {} },
      { host: '127.0.0.1', port: 9003, weight: 10, tags: {} },
      { host: '127.0.0.1', port: 9004, weight: 30, tags: {} },
    ]);
  });

  it('honours a custom prefix, as WithEtcdServicePrefix', async () => {
    const service = freshService();
    await raw.put(`my/prefix/${service}/10.0.0.1:1`).value(GO_RECORD('127.0.0.1:7001')).exec();
    const instances = await resolver({ prefix: 'my/prefix' }).resolve(service);
    expect(instances.map((i) => i.port)).toEqual([7001]);
  });

  it('returns an empty list for a service without records', async () => {
    expect(await resolver().resolve(freshService())).toEqual([]);
  });

  it('skips malformed records, reports each once, and keeps the good ones', async () => {
    const service = freshService();
    await put(service, 'a', 'not json');
    await put(service, 'b', '{"network":"tcp","address":"127.0.0.1:1","weight":"10"}');
    await put(service, 'c', '{"network":"unix","address":"/tmp/s.sock","weight":10}');
    await put(service, 'd', '{"network":"tcp","address":"127.0.0.1","weight":10}');
    await put(service, 'e', '[1,2]');
    await put(service, 'f', GO_RECORD('127.0.0.1:8001'));
    await put(service, 'g', GO_RECORD('127.0.0.1:8001', 20)); // duplicate address
    const reports: MalformedEtcdRecord[] = [];
    const r = resolver({ onMalformedRecord: (record) => reports.push(record) });
    expect(await r.resolve(service)).toEqual([
      { host: '127.0.0.1', port: 8001, weight: 10, tags: {} },
    ]);
    expect(reports.map((x) => x.key.split('/').pop())).toEqual(['a', 'b', 'c', 'd', 'e', 'g']);
    expect(reports[0]?.reason).toMatch(/not JSON/);
    expect(reports[2]?.reason).toMatch(/network 'unix'/);
    expect(reports[5]?.reason).toMatch(/duplicate/);
    await r.resolve(service);
    expect(reports).toHaveLength(6); // not reported again on the next refresh
  });

  it('rejects service names that cannot be an etcd path segment', async () => {
    const error = await resolver()
      .resolve('a/b')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceDiscoveryError);
  });

  it('watch: sees adds and removes at once through the etcd watch', async () => {
    const service = freshService();
    await put(service, '127.0.0.1:9101', GO_RECORD('127.0.0.1:9101'));
    const lists: (readonly ServiceInstance[])[] = [];
    // A long poll interval: only the etcd watch can deliver the changes in time.
    const stop = resolver({ refreshIntervalMs: 60_000 }).watch(service, (l) => lists.push(l));
    await eventually(() => lists.length === 1, 'the first list');
    expect(lists[0]?.map((i) => i.port)).toEqual([9101]);
    await put(service, '127.0.0.1:9102', GO_RECORD('127.0.0.1:9102', 20));
    await eventually(() => lists.at(-1)?.length === 2, 'the added instance');
    await raw.delete().key(`kitex/registry-etcd/${service}/127.0.0.1:9101`).exec();
    await eventually(
      () =>
        lists
          .at(-1)
          ?.map((i) => i.port)
          .join() === '9102',
      'the removed instance',
    );
    stop();
    const seen = lists.length;
    await put(service, '127.0.0.1:9103', GO_RECORD('127.0.0.1:9103'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lists).toHaveLength(seen); // unsubscribed
  });

  it('watch: the periodic refresh alone (etcd watch off) sees changes', async () => {
    const service = freshService();
    const lists: (readonly ServiceInstance[])[] = [];
    resolver({ etcdWatch: false, refreshIntervalMs: 100 }).watch(service, (l) => lists.push(l));
    await eventually(() => lists.length === 1, 'the first (empty) list');
    expect(lists[0]).toEqual([]);
    await put(service, '127.0.0.1:9201', GO_RECORD('127.0.0.1:9201'));
    await eventually(() => lists.at(-1)?.length === 1, 'the added instance');
    // no change, no call
    const seen = lists.length;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(lists).toHaveLength(seen);
  });

  it('keeps the last list when every record goes, as Kitex (an etcd restored empty)', async () => {
    const service = freshService();
    await put(service, '127.0.0.1:9401', GO_RECORD('127.0.0.1:9401'));
    const errors: ServiceDiscoveryError[] = [];
    const watching = resolver({ refreshIntervalMs: 60_000, onError: (e) => errors.push(e) });
    const lists: (readonly ServiceInstance[])[] = [];
    watching.watch(service, (l) => lists.push(l));
    await eventually(() => lists.length === 1, 'the first list');
    await raw.delete().prefix(`kitex/registry-etcd/${service}/`).exec();
    await eventually(() => errors.length > 0, 'the empty read reported');
    expect(errors[0]?.message).toContain(`no instance remains for ${service}`);
    expect(await watching.resolve(service)).toEqual(lists[0]);
    expect(lists).toHaveLength(1);
    // A new record is followed as usual.
    await put(service, '127.0.0.1:9402', GO_RECORD('127.0.0.1:9402'));
    await eventually(() => lists.at(-1)?.[0]?.port === 9402, 'the new instance');
  });

  it('watch: the record of a killed instance goes when its lease expires (revoked here)', async () => {
    const service = freshService();
    await put(service, '127.0.0.1:9301', GO_RECORD('127.0.0.1:9301'));
    const lease = raw.lease(60, { autoKeepAlive: false });
    await lease
      .put(`kitex/registry-etcd/${service}/127.0.0.1:9302`)
      .value(GO_RECORD('127.0.0.1:9302'))
      .exec();
    const lists: (readonly ServiceInstance[])[] = [];
    resolver({ refreshIntervalMs: 60_000 }).watch(service, (l) => lists.push(l));
    await eventually(() => lists.at(-1)?.length === 2, 'both instances');
    await revokeLease(raw, await lease.grant());
    await eventually(
      () =>
        lists
          .at(-1)
          ?.map((i) => i.port)
          .join() === '9301',
      'the expired instance gone',
    );
  });
});

describeEtcd('EtcdResolver while etcd is away', () => {
  let server: EtcdServer;
  let raw: Etcd3 | undefined;

  beforeAll(async () => {
    server = await startEtcd();
  });
  afterAll(async () => {
    raw?.close();
    await server.dispose();
  });

  it('keeps the last good list when etcd stops, and follows changes once it is back', async () => {
    raw = rawEtcd(server.endpoint);
    const key = 'kitex/registry-etcd/echo/127.0.0.1:9401';
    await raw.put(key).value(GO_RECORD('127.0.0.1:9401')).exec();
    raw.close();
    raw = undefined;
    const errors: ServiceDiscoveryError[] = [];
    const lists: (readonly ServiceInstance[])[] = [];
    const r = new EtcdResolver({
      endpoints: [server.endpoint],
      requestTimeoutMs: 500,
      refreshIntervalMs: 100,
      onError: (e) => errors.push(e),
    });
    try {
      const stop = r.watch('echo', (l) => lists.push(l));
      expect((await r.resolve('echo')).map((i) => i.port)).toEqual([9401]);
      await eventually(() => lists.length === 1, 'the first list');

      await server.stop();
      // resolve answers from the last good list, and says why
      expect((await r.resolve('echo')).map((i) => i.port)).toEqual([9401]);
      await eventually(() => errors.length >= 2, 'failed reads reported');
      expect(errors[0]).toBeInstanceOf(ServiceDiscoveryError);
      expect(errors[0]?.kind).toBe('resolve');
      expect(errors[0]?.message).toMatch(/kitex\/registry-etcd\/echo\//);
      expect(lists).toHaveLength(1); // the watcher kept its list

      await server.restart();
      raw = rawEtcd(server.endpoint);
      await raw
        .put('kitex/registry-etcd/echo/127.0.0.1:9402')
        .value(GO_RECORD('127.0.0.1:9402'))
        .exec();
      await eventually(() => lists.at(-1)?.length === 2, 'the list after etcd came back', 15_000);
      stop();
    } finally {
      await r.close();
    }
  });

  it('a watch on an unreachable etcd reports errors, delivers nothing, and closes', async () => {
    const errors: ServiceDiscoveryError[] = [];
    const lists: (readonly ServiceInstance[])[] = [];
    const r = new EtcdResolver({
      endpoints: ['127.0.0.1:1'],
      requestTimeoutMs: 200,
      refreshIntervalMs: 50,
      onError: (e) => errors.push(e),
    });
    const stop = r.watch('echo', (l) => lists.push(l));
    await eventually(() => errors.length >= 2, 'failed reads reported');
    stop();
    await r.close(); // does not wait for the watch that never connected
    expect(lists).toEqual([]);
  });

  it('rejects with a ServiceDiscoveryError when no list was ever read', async () => {
    const r = new EtcdResolver({ endpoints: ['127.0.0.1:1'], requestTimeoutMs: 300 });
    try {
      const error = await r.resolve('echo').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceDiscoveryError);
      expect((error as ServiceDiscoveryError).service).toBe('echo');
    } finally {
      await r.close();
    }
  });
});
