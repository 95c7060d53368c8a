/**
 * Discovery through a real etcd, both ways, with kitex-contrib registry-etcd v0.3.0 on the Go
 * side: a Kitex server registered by its registry is found (and called) by our resolver, and a
 * server registered by our registry is found and called by a Kitex client using its resolver.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Etcd3 } from 'etcd3';
import { EtcdRegistry } from '../../lib/discovery/etcd/etcd-registry.js';
import { EtcdResolver } from '../../lib/discovery/etcd/etcd-resolver.js';
import { instanceKey, type ServiceInstance } from '../../lib/discovery/service-instance.js';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { eventually, rawEtcd } from '../helpers/etcd-fixture.js';
import { ourClient, startOurServer, type OurServer } from './support/our-side.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PEER_BIN, runScenario, splitHostPort, startKitexServer } from './support/peer.js';
import { echoCall, type EchoRequest, type EchoResponse } from './support/test-service.js';

// The generated Go client's destination service is "echo"; both sides use that name.
const SERVICE = 'echo';
const PREFIX = `kitex/registry-etcd/${SERVICE}/`;

const describeEtcd = etcdAvailable() || process.env['CI'] === 'true' ? describe : describe.skip;

describeEtcd('discovery through etcd with kitex-contrib registry-etcd', () => {
  let etcd: EtcdServer;
  let raw: Etcd3;

  beforeAll(async () => {
    etcd = await startEtcd();
    raw = rawEtcd(etcd.endpoint);
  });
  beforeEach(async () => {
    await raw.delete().prefix(PREFIX).exec();
  });

  /** A record of another instance (never called), put as a Go server would. */
  const BYSTANDER_PORT = 1;
  const BYSTANDER = `127.0.0.1:${BYSTANDER_PORT}`;
  const putBystander = (): Promise<unknown> =>
    raw
      .put(`${PREFIX}${BYSTANDER}`)
      .value(`{"network":"tcp","address":"${BYSTANDER}","weight":10,"tags":null}`)
      .exec();
  afterAll(async () => {
    raw.close();
    await etcd.dispose();
  });

  it('a Kitex server registered by registry-etcd is found and called through our resolver', async () => {
    const kitex = await startKitexServer([
      '-etcd',
      etcd.endpoint,
      '-etcd-service',
      SERVICE,
      '-etcd-weight',
      '30',
      '-etcd-tags',
      'zone=a',
    ]);
    // A second instance stays listed: a list that would empty is kept, as by Kitex (D27).
    await putBystander();
    const resolver = new EtcdResolver({ endpoints: [etcd.endpoint], refreshIntervalMs: 200 });
    try {
      const lists: (readonly ServiceInstance[])[] = [];
      const stop = resolver.watch(SERVICE, (list) => lists.push(list));
      await eventually(() => lists.at(-1)?.length === 2, 'the Kitex server registered', 15_000);

      // The bytes Go wrote, read back raw: key and JSON exactly as kitex-contrib's instanceInfo.
      const key = `${PREFIX}${kitex.address}`;
      expect(await raw.get(key).string()).toBe(
        `{"network":"tcp","address":"${kitex.address}","weight":30,"tags":{"zone":"a"}}`,
      );
      const [host, port] = splitHostPort(kitex.address);
      const found = lists.at(-1)?.find((i) => i.port === Number(port));
      expect(found).toEqual({ host, port: Number(port), weight: 30, tags: { zone: 'a' } });

      // Call the instance the resolver found.
      const client = ourClient(instanceKey(found ?? { host: '', port: 0, weight: 0, tags: {} }));
      try {
        const stream = client.openStream<EchoRequest, EchoResponse>(echoCall('Echo'));
        await stream.send({ message: 'via-etcd' });
        const reply = await stream.recv();
        expect(reply).toEqual({ done: false, value: { message: 'via-etcd', index: 0 } });
        await stream.closeSend();
        expect((await stream.recv()).done).toBe(true);
        expect((await stream.header()).get('x-handler')).toBe('TestService.Echo');
      } finally {
        await client.close();
      }

      // SIGTERM: Kitex deregisters on Stop, and the resolver's list loses it.
      await kitex.stop();
      await eventually(() => lists.at(-1)?.length === 1, 'the Kitex server deregistered', 15_000);
      expect(lists.at(-1)?.[0]?.port).toBe(BYSTANDER_PORT);
      expect(await raw.get(key).string()).toBeNull();
      stop();
    } finally {
      await resolver.close();
      await kitex.stop();
    }
  });

  it('the record of a kill -9ed Kitex server goes when its lease expires', async () => {
    // A 2 s lease (kitex-contrib reads KITEX_ETCD_REGISTRY_LEASE_TTL) so that expiry is quick.
    const child = spawn(
      join(PEER_BIN, 'server'),
      ['-addr', '127.0.0.1:0', '-etcd', etcd.endpoint, '-etcd-service', SERVICE],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KITEX_ETCD_REGISTRY_LEASE_TTL: '2' },
      },
    );
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve();
      });
    });
    await putBystander();
    const resolver = new EtcdResolver({ endpoints: [etcd.endpoint], refreshIntervalMs: 200 });
    try {
      const lists: (readonly ServiceInstance[])[] = [];
      resolver.watch(SERVICE, (list) => lists.push(list));
      await eventually(() => lists.at(-1)?.length === 2, 'the Kitex server registered', 15_000);
      child.kill('SIGKILL');
      await exited;
      // No deregistration happened: only the lease expiry (2 s TTL) removes the record.
      expect(lists.at(-1)).toHaveLength(2);
      await eventually(() => lists.at(-1)?.length === 1, 'the record expired', 15_000);
      expect(await raw.getAll().prefix(PREFIX).keys()).toEqual([`${PREFIX}${BYSTANDER}`]);
    } finally {
      child.kill('SIGKILL');
      await resolver.close();
    }
  });

  describe('our server registered by our registry', () => {
    let ours: OurServer;
    let registry: EtcdRegistry;

    beforeAll(async () => {
      ours = await startOurServer();
      registry = new EtcdRegistry({ endpoints: [etcd.endpoint], env: {} });
    });
    afterAll(async () => {
      await registry.close();
      await ours.close();
    });

    it('is found and called by a Kitex client using registry-etcd’s resolver', async () => {
      const [host, port] = splitHostPort(ours.address);
      const info = { serviceName: SERVICE, host, port: Number(port), weight: 5 };
      await registry.register(info);
      expect(await raw.get(`${PREFIX}${ours.address}`).string()).toBe(
        `{"network":"tcp","address":"${ours.address}","weight":5,"tags":null}`,
      );
      const starts = ours.log.starts.length;
      // -addr points at a closed port: only the etcd resolver can lead the client to us.
      const v = await runScenario('127.0.0.1:1', 'echo_bidi', { etcd: etcd.endpoint, count: 3 });
      expect({ ok: v.ok, problems: v.problems, error: v.error?.text ?? null }).toEqual({
        ok: true,
        problems: [],
        error: null,
      });
      expect(v.received).toEqual([0, 1, 2].map((i) => ({ message: `hello-${i}`, index: i })));
      expect(ours.log.starts.length).toBeGreaterThan(starts);

      // Deregistered: the Kitex client finds no instance any more.
      await registry.deregister(info);
      const after = await runScenario('127.0.0.1:1', 'echo_bidi', { etcd: etcd.endpoint });
      expect(after.ok).toBe(false);
      expect(after.error?.text).toMatch(/no instance remains for echo|service discovery/);
    });
  });
});
