import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Etcd3 } from 'etcd3';
import { interval, map, take, type Observable } from 'rxjs';
import { EtcdRegistry } from '../../../lib/discovery/etcd/etcd-registry.js';
import type { Registry, RegistryInfo } from '../../../lib/discovery/registry.js';
import { StreamPattern } from '../../../lib/index.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { describeEtcd, rawEtcd } from '../../helpers/etcd-fixture.js';
import { clientFor, request, startServerApp } from '../nest/harness.js';

interface Req {
  message: string;
  count: number;
}

@Controller()
class SlowController {
  /** `count` replies, 100 ms apart: a stream still in flight when close() starts. */
  @StreamPattern('TestService.EchoServer')
  echoServer(@Payload() req: Req): Observable<unknown> {
    return interval(100).pipe(
      take(req.count),
      map((index) => ({ message: req.message, index })),
    );
  }
}

describeEtcd('TTStreamServer with the registry option (real etcd)', () => {
  let etcd: EtcdServer;
  let raw: Etcd3;

  beforeAll(async () => {
    etcd = await startEtcd();
    raw = rawEtcd(etcd.endpoint);
  });
  afterAll(async () => {
    raw.close();
    await etcd.dispose();
  });

  it('registers after listen; on close deregisters first, then drains the streams in flight', async () => {
    const steps: string[] = [];
    const etcdRegistry = new EtcdRegistry({ endpoints: [etcd.endpoint], env: {} });
    // Records when deregistration finished, against when the in-flight stream finished.
    const registry: Registry = {
      register: (info: RegistryInfo) => etcdRegistry.register(info),
      deregister: async (info: RegistryInfo) => {
        await etcdRegistry.deregister(info);
        steps.push('deregistered');
      },
      close: () => etcdRegistry.close(),
    };
    const s = await startServerApp(
      { controllers: [SlowController] },
      { registry: { registry, serviceName: 'echo-nest', weight: 3, tags: { lang: 'ts' } } },
    );
    const key = `kitex/registry-etcd/echo-nest/127.0.0.1:${s.port}`;
    expect(await raw.get(key).string()).toBe(
      `{"network":"tcp","address":"127.0.0.1:${s.port}","weight":3,"tags":{"lang":"ts"}}`,
    );

    const client = clientFor(s.port);
    try {
      const replies: unknown[] = [];
      const finished = new Promise<void>((resolve, reject) => {
        client.serverStream('TestService.EchoServer', request('slow', 5)).subscribe({
          next: (reply) => replies.push(reply),
          error: reject,
          complete: () => {
            steps.push('stream complete');
            resolve();
          },
        });
      });
      // wait until the stream is in flight
      while (replies.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await s.app.close();
      await finished;
      expect(replies).toHaveLength(5);
      expect(steps).toEqual(['deregistered', 'stream complete']);
      expect(await raw.get(key).string()).toBeNull();
    } finally {
      await client.close();
    }
  });
});
