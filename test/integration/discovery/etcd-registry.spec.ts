import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { Etcd3 } from 'etcd3';
import {
  EtcdRegistry,
  type EtcdRegistryOptions,
} from '../../../lib/discovery/etcd/etcd-registry.js';
import { EtcdRegistryError } from '../../../lib/discovery/etcd/etcd-registry-error.js';
import { EtcdResolver } from '../../../lib/discovery/etcd/etcd-resolver.js';
import type { RegistryInfo } from '../../../lib/discovery/registry.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import {
  describeEtcd,
  eventually,
  leaseOf,
  leaseTtl,
  rawEtcd,
  revokeLease,
} from '../../helpers/etcd-fixture.js';

describeEtcd('EtcdRegistry against a real etcd', () => {
  let server: EtcdServer;
  let raw: Etcd3;
  const registries: EtcdRegistry[] = [];
  let port = 20_000;
  const info = (extra: Partial<RegistryInfo> = {}): RegistryInfo => ({
    serviceName: 'echo',
    host: '127.0.0.1',
    port: ++port,
    ...extra,
  });
  const registry = (options: Partial<EtcdRegistryOptions> = {}): EtcdRegistry => {
    const created = new EtcdRegistry({
      endpoints: [server.endpoint],
      requestTimeoutMs: 1000,
      env: {},
      ...options,
    });
    registries.push(created);
    return created;
  };

  beforeAll(async () => {
    server = await startEtcd();
    raw = rawEtcd(server.endpoint);
  });
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    raw.close();
    await server.dispose();
  });

  it("puts kitex-contrib's record, byte for byte, under a 60 s lease kept alive", async () => {
    const r = registry();
    const i = info({ weight: 20, tags: { zone: 'a' } });
    await r.register(i);
    const key = `kitex/registry-etcd/echo/127.0.0.1:${i.port}`;
    expect(await raw.get(key).string()).toBe(
      `{"network":"tcp","address":"127.0.0.1:${i.port}","weight":20,"tags":{"zone":"a"}}`,
    );
    const lease = await leaseOf(raw, key);
    expect(lease).not.toBe('0');
    const ttl = await leaseTtl(raw, lease ?? '0');
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('writes weight 10 and null tags by default, as a Kitex server does', async () => {
    const i = info();
    await registry().register(i);
    expect(await raw.get(`kitex/registry-etcd/echo/127.0.0.1:${i.port}`).string()).toBe(
      `{"network":"tcp","address":"127.0.0.1:${i.port}","weight":10,"tags":null}`,
    );
  });

  it('publishes KITEX_IP_TO_REGISTRY / KITEX_PORT_TO_REGISTRY, or a fixed address', async () => {
    await registry({
      env: { KITEX_IP_TO_REGISTRY: '10.1.2.3', KITEX_PORT_TO_REGISTRY: '7777' },
    }).register(info());
    expect(await raw.get('kitex/registry-etcd/echo/10.1.2.3:7777').string()).toContain(
      '"address":"10.1.2.3:7777"',
    );
    await registry({ address: '[::1]:6000' }).register(info());
    expect(await raw.get('kitex/registry-etcd/echo/[::1]:6000').string()).toContain(
      '"address":"[::1]:6000"',
    );
  });

  it('is read back by the resolver', async () => {
    const i = info({ serviceName: 'roundtrip', weight: 7, tags: { v: '2' } });
    await registry().register(i);
    const resolver = new EtcdResolver({ endpoints: [server.endpoint] });
    try {
      expect(await resolver.resolve('roundtrip')).toEqual([
        { host: '127.0.0.1', port: i.port, weight: 7, tags: { v: '2' } },
      ]);
    } finally {
      await resolver.close();
    }
  });

  it('deregister deletes the key and revokes the lease', async () => {
    const r = registry();
    const i = info();
    await r.register(i);
    const key = r.keyOf(i);
    const lease = (await leaseOf(raw, key)) ?? '0';
    await r.deregister(i);
    expect(await raw.get(key).string()).toBeNull();
    expect(await leaseTtl(raw, lease)).toBe(-1);
  });

  it('puts the key back when it is deleted behind its back', async () => {
    const reregistered: string[] = [];
    const r = registry({ checkIntervalMs: 100, onReregistered: (k) => reregistered.push(k) });
    const i = info();
    await r.register(i);
    const key = r.keyOf(i);
    const firstLease = await leaseOf(raw, key);
    await raw.delete().key(key).exec();
    // The callback follows the put: wait for it, not for the key (which etcd shows first).
    await eventually(() => reregistered.length > 0, 'the key put back');
    expect(reregistered).toEqual([key]);
    expect(await raw.get(key).string()).not.toBeNull();
    const secondLease = await leaseOf(raw, key);
    expect(secondLease).not.toBe(firstLease);
    // the old lease is revoked (in the background), not leaked
    await eventually(
      async () => (await leaseTtl(raw, firstLease ?? '0')) === -1,
      'the old lease revoked',
    );
  });

  it('registers again when its lease expires (revoked here, as etcd does at expiry)', async () => {
    // A long check interval: the lease's 'lost' event must trigger the re-put.
    const r = registry({ checkIntervalMs: 60_000, leaseTtlSeconds: 3 });
    const i = info();
    await r.register(i);
    const key = r.keyOf(i);
    const lease = (await leaseOf(raw, key)) ?? '0';
    await revokeLease(raw, lease);
    expect(await raw.get(key).string()).toBeNull();
    await eventually(
      async () => (await raw.get(key).string()) !== null,
      'the key put back after the lease was lost',
      15_000,
    );
  });

  it('takes KITEX_ETCD_REGISTRY_LEASE_TTL as the lease TTL', async () => {
    const r = registry({ env: { KITEX_ETCD_REGISTRY_LEASE_TTL: '17' } });
    const i = info();
    await r.register(i);
    const ttl = await leaseTtl(raw, (await leaseOf(raw, r.keyOf(i))) ?? '0');
    expect(ttl).toBeGreaterThan(12);
    expect(ttl).toBeLessThanOrEqual(17);
  });

  it('close revokes every lease, which removes the keys', async () => {
    const r = registry();
    const a = info();
    const b = info();
    await r.register(a);
    await r.register(b);
    await r.close();
    expect(await raw.get(r.keyOf(a)).string()).toBeNull();
    expect(await raw.get(r.keyOf(b)).string()).toBeNull();
    await expect(r.register(info())).rejects.toThrow(/closed/);
  });

  it('refuses bad service names and options', async () => {
    await expect(registry().register(info({ serviceName: 'a/b' }))).rejects.toThrow(/'\/'/);
    await expect(registry().register(info({ serviceName: '' }))).rejects.toThrow(/missing/);
    expect(() => new EtcdRegistry({ endpoints: ['x:1'], leaseTtlSeconds: 0 })).toThrow(RangeError);
    expect(() => new EtcdRegistry({ endpoints: ['x:1'], checkIntervalMs: 0 })).toThrow(RangeError);
  });

  it('rejects register with an EtcdRegistryError when etcd cannot be reached', async () => {
    const r = registry({ endpoints: ['127.0.0.1:1'], requestTimeoutMs: 300 });
    const error = await r.register(info()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdRegistryError);
    expect((error as EtcdRegistryError).operation).toBe('register');
  });
});

describeEtcd('EtcdRegistry while etcd is away', () => {
  let server: EtcdServer;

  beforeAll(async () => {
    server = await startEtcd();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('keeps its record across an etcd restart and re-registers after etcd lost its data', async () => {
    const errors: EtcdRegistryError[] = [];
    const r = new EtcdRegistry({
      endpoints: [server.endpoint],
      env: {},
      requestTimeoutMs: 500,
      checkIntervalMs: 200,
      retryIntervalMs: 200,
      onError: (e) => errors.push(e),
    });
    const i: RegistryInfo = { serviceName: 'echo', host: '127.0.0.1', port: 30_001 };
    const key = r.keyOf(i);
    let raw: Etcd3 | undefined;
    try {
      await r.register(i);
      await server.stop();
      await eventually(() => errors.length > 0, 'a failed check reported');
      expect(errors[0]?.operation).toBe('re-register');

      // back with its data: the record (and its lease) are still there
      await server.restart();
      raw = rawEtcd(server.endpoint);
      expect(await raw.get(key).string()).not.toBeNull();
      raw.close();

      // back without its data (a wiped member): the record is put again
      await server.restart({ wipe: true });
      raw = rawEtcd(server.endpoint);
      const current = raw;
      await eventually(
        async () => (await current.get(key).string()) !== null,
        're-registered after etcd came back empty',
        20_000,
      );
      await r.deregister(i);
      expect(await current.get(key).string()).toBeNull();
    } finally {
      raw?.close();
      await r.close();
    }
  });
});
