import { describe, expect, it } from '@jest/globals';
import type { Registry, RegistryInfo } from '../../../lib/discovery/registry.js';
import { RegistryLifecycle } from '../../../lib/server/registry-lifecycle.js';

function fakeRegistry(
  steps: string[],
  behaviour: { failRegister?: boolean; hangDeregister?: boolean } = {},
): Registry {
  return {
    register(info: RegistryInfo) {
      steps.push(`register ${info.serviceName} ${info.host}:${info.port} w=${String(info.weight)}`);
      return behaviour.failRegister === true
        ? Promise.reject(new Error('etcd down'))
        : Promise.resolve();
    },
    deregister(info: RegistryInfo) {
      steps.push(`deregister ${info.host}:${info.port}`);
      return behaviour.hangDeregister === true ? new Promise(() => undefined) : Promise.resolve();
    },
    close() {
      steps.push('close');
      return Promise.resolve();
    },
  };
}

describe('RegistryLifecycle', () => {
  const bound = { address: '127.0.0.1', port: 8888 };

  it('registers the bound address, and deregisters before the drain, then closes', async () => {
    const steps: string[] = [];
    const warnings: string[] = [];
    const lifecycle = new RegistryLifecycle(
      { registry: fakeRegistry(steps), serviceName: 'echo', weight: 5 },
      { warn: (m) => warnings.push(m) },
    );
    await lifecycle.afterListen(bound);
    await lifecycle.beforeDrain();
    steps.push('drain');
    expect(steps).toEqual([
      'register echo 127.0.0.1:8888 w=5',
      'deregister 127.0.0.1:8888',
      'close',
      'drain',
    ]);
    expect(warnings).toEqual([]);
  });

  it('publishes host/port overrides and leaves the registry open when told', async () => {
    const steps: string[] = [];
    const lifecycle = new RegistryLifecycle(
      {
        registry: fakeRegistry(steps),
        serviceName: 'echo',
        host: '10.0.0.1',
        port: 9,
        closeRegistry: false,
      },
      { warn: () => undefined },
    );
    await lifecycle.afterListen(bound);
    await lifecycle.beforeDrain();
    expect(steps).toEqual(['register echo 10.0.0.1:9 w=undefined', 'deregister 10.0.0.1:9']);
  });

  it('a failed registration is logged (or thrown when required)', async () => {
    const warnings: string[] = [];
    const soft = new RegistryLifecycle(
      { registry: fakeRegistry([], { failRegister: true }), serviceName: 'echo' },
      { warn: (m) => warnings.push(m) },
    );
    await soft.afterListen(bound);
    expect(warnings[0]).toMatch(/serving without registration: etcd down/);
    const steps: string[] = [];
    await soft.beforeDrain(); // nothing to deregister
    expect(steps).toEqual([]);
    const hard = new RegistryLifecycle(
      { registry: fakeRegistry([], { failRegister: true }), serviceName: 'echo', required: true },
      { warn: () => undefined },
    );
    await expect(hard.afterListen(bound)).rejects.toThrow('etcd down');
  });

  it('a deregister that never answers does not hold the drain past its timeout', async () => {
    const warnings: string[] = [];
    const lifecycle = new RegistryLifecycle(
      {
        registry: fakeRegistry([], { hangDeregister: true }),
        serviceName: 'echo',
        deregisterTimeoutMs: 50,
      },
      { warn: (m) => warnings.push(m) },
    );
    await lifecycle.afterListen(bound);
    await lifecycle.beforeDrain();
    expect(warnings[0]).toMatch(/no answer within 50 ms/);
  });

  it('refuses negative limits', () => {
    expect(
      () =>
        new RegistryLifecycle(
          { registry: fakeRegistry([]), serviceName: 'x', drainDelayMs: -1 },
          { warn: () => undefined },
        ),
    ).toThrow(RangeError);
  });
});
