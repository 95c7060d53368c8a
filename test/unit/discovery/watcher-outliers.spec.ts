import { describe, expect, it } from '@jest/globals';
import {
  InstanceWatcher,
  OutlierDetector,
  type Resolver,
  type ServiceInstance,
} from '../../../lib/discovery/index.js';
import { rejectionOf, waitFor } from '../../helpers/wait.js';

function inst(port: number, weight = 10): ServiceInstance {
  return { host: '127.0.0.1', port, weight, tags: {} };
}

/** A resolver whose answers the test scripts: a list, or an error. */
class ScriptedResolver implements Resolver {
  answer: readonly ServiceInstance[] | Error = [];
  calls = 0;
  listener: ((list: readonly ServiceInstance[]) => void) | undefined;
  resolve(): Promise<readonly ServiceInstance[]> {
    this.calls++;
    const { answer } = this;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
}

describe('InstanceWatcher', () => {
  it('keeps the last good list when a refresh fails, and reports the failure', async () => {
    const resolver = new ScriptedResolver();
    resolver.answer = [inst(1), inst(2)];
    const watcher = new InstanceWatcher(resolver, 'echo', { refreshIntervalMs: 10 });
    const errors: unknown[] = [];
    watcher.on('error', (e) => errors.push(e));
    try {
      expect((await watcher.start()).map((i) => i.port)).toEqual([1, 2]);
      resolver.answer = new Error('etcd down');
      await waitFor(() => errors.length >= 2, 'failed refreshes');
      expect(watcher.instances?.map((i) => i.port)).toEqual([1, 2]);
      resolver.answer = [inst(3)];
      await waitFor(() => watcher.instances?.[0]?.port === 3, 'recovered list');
    } finally {
      watcher.close();
    }
    const calls = resolver.calls;
    await new Promise((r) => setTimeout(r, 40));
    expect(resolver.calls).toBe(calls);
  });

  it('emits change only when the list differs, normalizing it', async () => {
    const resolver = new ScriptedResolver();
    resolver.answer = [inst(1, 0), inst(1, 5)];
    const watcher = new InstanceWatcher(resolver, 'echo', { refreshIntervalMs: 5 });
    const changes: number[][] = [];
    watcher.on('change', (list) => changes.push(list.map((i) => i.weight)));
    try {
      await watcher.start();
      await waitFor(() => resolver.calls >= 4, 'refreshes');
      expect(changes).toEqual([[10]]);
    } finally {
      watcher.close();
    }
  });

  it('rejects start() with the resolver error until a first list is known', async () => {
    const resolver = new ScriptedResolver();
    resolver.answer = new Error('no registry');
    const watcher = new InstanceWatcher(resolver, 'echo', { refreshIntervalMs: 60_000 });
    try {
      expect(((await rejectionOf(watcher.start())) as Error).message).toBe('no registry');
      resolver.answer = [inst(7)];
      expect((await watcher.start()).map((i) => i.port)).toEqual([7]);
    } finally {
      watcher.close();
    }
  });

  it("follows the resolver's watch() pushes, and unsubscribes on close", async () => {
    const resolver = new ScriptedResolver();
    let unsubscribed = false;
    const pushing: Resolver = {
      resolve: () => resolver.resolve(),
      watch: (_service, onChange) => {
        resolver.listener = onChange;
        return () => {
          unsubscribed = true;
        };
      },
    };
    resolver.answer = [inst(1)];
    const watcher = new InstanceWatcher(pushing, 'echo', { refreshIntervalMs: 60_000 });
    await watcher.start();
    resolver.listener?.([inst(4), inst(5)]);
    expect(watcher.instances?.map((i) => i.port)).toEqual([4, 5]);
    watcher.close();
    expect(unsubscribed).toBe(true);
  });

  it('uses the 5 s default for a missing or invalid interval', () => {
    const watcher = new InstanceWatcher(new ScriptedResolver(), 'echo', { refreshIntervalMs: -1 });
    expect((watcher as unknown as { intervalMs: number }).intervalMs).toBe(5000);
  });
});

describe('OutlierDetector', () => {
  it('ejects after consecutive failures or one failed dial, then lets the instance be probed', () => {
    let now = 1000;
    const detector = new OutlierDetector({
      consecutiveFailures: 3,
      baseEjectionMs: 100,
      maxEjectionMs: 250,
      now: () => now,
    });
    const list = [inst(1), inst(2), inst(3)];
    detector.recordFailure('127.0.0.1:1');
    detector.recordFailure('127.0.0.1:1');
    expect(detector.available(list)).toHaveLength(3);
    detector.recordFailure('127.0.0.1:1');
    expect(detector.available(list).map((i) => i.port)).toEqual([2, 3]);
    detector.recordFailure('127.0.0.1:2', true);
    expect(detector.available(list).map((i) => i.port)).toEqual([3]);
    now += 100;
    expect(detector.available(list).map((i) => i.port)).toEqual([1, 2, 3]);
    // The probe of :2 fails: ejected again, for longer (200 ms, capped at 250).
    detector.recordFailure('127.0.0.1:2', true);
    now += 150;
    expect(detector.isEjected('127.0.0.1:2')).toBe(true);
    now += 60;
    expect(detector.isEjected('127.0.0.1:2')).toBe(false);
    detector.recordSuccess('127.0.0.1:2');
    detector.recordFailure('127.0.0.1:2', true);
    now += 101;
    expect(detector.isEjected('127.0.0.1:2')).toBe(false);
  });

  it('uses every instance when all are ejected, and forgets unlisted ones', () => {
    const detector = new OutlierDetector();
    const list = [inst(1), inst(2)];
    detector.recordFailure('127.0.0.1:1', true);
    detector.recordFailure('127.0.0.1:2', true);
    expect(detector.available(list)).toBe(list);
    detector.retain(new Set(['127.0.0.1:2']));
    expect(detector.isEjected('127.0.0.1:1')).toBe(false);
    expect(detector.isEjected('127.0.0.1:2')).toBe(true);
  });
});
