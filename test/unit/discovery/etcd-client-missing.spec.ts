import { expect, it, jest } from '@jest/globals';

// What a user without the optional peer sees: etcd3 cannot be imported.
jest.unstable_mockModule('etcd3', () => {
  throw new Error("Cannot find package 'etcd3'");
});

it('a resolver used without etcd3 installed rejects with EtcdClientMissingError', async () => {
  const { EtcdResolver } = await import('../../../lib/discovery/etcd/etcd-resolver.js');
  const { EtcdClientMissingError } = await import('../../../lib/discovery/etcd/etcd-options.js');
  const { EtcdRegistry } = await import('../../../lib/discovery/etcd/etcd-registry.js');
  // Constructing one costs nothing: etcd3 is only imported on first use.
  const resolver = new EtcdResolver({ endpoints: ['127.0.0.1:2379'] });
  const error = await resolver.resolve('echo').catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/optional peer dependency 'etcd3': npm install etcd3/);
  expect((error as { cause?: unknown }).cause).toBeInstanceOf(EtcdClientMissingError);
  const registry = new EtcdRegistry({ endpoints: ['127.0.0.1:2379'], env: {} });
  const failure = await registry
    .register({ serviceName: 'echo', host: '127.0.0.1', port: 1 })
    .catch((e: unknown) => e);
  expect((failure as { cause?: unknown }).cause).toBeInstanceOf(EtcdClientMissingError);
  await resolver.close();
  await registry.close();
});
