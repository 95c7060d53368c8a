/**
 * The etcd watch's retries after an outage. `etcd3` retries a failed watch stream after a backoff
 * that, by default, grows to 30 s, and `close()` does not clear the pending retry: after an outage
 * of 15 s, a closed resolver left a timer that kept the process alive for about 20 s more. Ours
 * (WatchRetryBackoff) waits at most 2 s. Shown against a real etcd: the watch follows changes once
 * etcd is back, and no timer outlives the resolver's close by more than a retry.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { EtcdResolver } from '../../../lib/discovery/etcd/etcd-resolver.js';
import type { ServiceInstance } from '../../../lib/discovery/service-instance.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { describeEtcd, eventually, rawEtcd } from '../../helpers/etcd-fixture.js';

const RECORD = (port: number): string =>
  `{"network":"tcp","address":"127.0.0.1:${port}","weight":10,"tags":null}`;

/** How long etcd stays away: long enough for etcd3's default backoff to pass 8 s. */
const OUTAGE_MS = 15_000;

/** Timers keeping the process alive. */
const timers = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describeEtcd('etcd watch retries after an outage', () => {
  let server: EtcdServer;

  beforeAll(async () => {
    server = await startEtcd();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('follow etcd once it is back, and stop within a retry of close()', async () => {
    let raw = rawEtcd(server.endpoint);
    await raw.put('kitex/registry-etcd/echo/127.0.0.1:9601').value(RECORD(9601)).exec();
    raw.close();
    const before = timers();
    const lists: (readonly ServiceInstance[])[] = [];
    // Polling once an hour: only the etcd watch can deliver the change in time.
    const resolver = new EtcdResolver({
      endpoints: [server.endpoint],
      requestTimeoutMs: 500,
      refreshIntervalMs: 3_600_000,
      onError: () => undefined,
    });
    try {
      resolver.watch('echo', (l) => lists.push(l));
      await eventually(() => lists.length === 1, 'the first list');

      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await server.restart();
      raw = rawEtcd(server.endpoint);
      await raw.put('kitex/registry-etcd/echo/127.0.0.1:9602').value(RECORD(9602)).exec();
      await eventually(() => lists.at(-1)?.length === 2, 'the list after etcd came back', 6000);
    } finally {
      raw.close();
      await resolver.close();
    }
    // A retry scheduled before the close may still fire once (2.4 s at most); etcd3's default
    // would hold a timer for many seconds more.
    const closed = Date.now();
    await eventually(() => timers() <= before, 'no timer left by the resolver', 4000);
    expect(Date.now() - closed).toBeLessThan(4000);
  }, 60_000);
});
