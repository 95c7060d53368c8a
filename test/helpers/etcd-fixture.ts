/**
 * Test access to a real etcd: a raw etcd3 client (to write Go-shaped records byte for byte, read
 * keys and leases back, revoke leases) and `describeEtcd`, which skips a suite when no `etcd`
 * binary is installed, except in CI, where .ci/run installs it and a missing one is a failure.
 */
import { describe } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import { etcdAvailable } from './etcd-server.js';

const available = etcdAvailable();
if (!available && process.env['CI'] === 'true') {
  throw new Error("no 'etcd' on PATH in CI: .ci/run installs Debian's etcd-server");
}

/** `describe` when etcd is installed, `describe.skip` otherwise (outside CI). */
export const describeEtcd = available ? describe : describe.skip;

/** A raw client with short deadlines, for test assertions and fault injection. */
export function rawEtcd(endpoint: string): Etcd3 {
  return new Etcd3({
    hosts: [endpoint],
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: new Date(Date.now() + 3000) },
  });
}

/** The lease id a key is attached to ('0' when none), or undefined when the key is absent. */
export async function leaseOf(etcd: Etcd3, key: string): Promise<string | undefined> {
  const response = await etcd.get(key).exec();
  return response.kvs[0]?.lease;
}

/** Revokes a lease by id: what etcd does when a killed process's lease expires. */
export async function revokeLease(etcd: Etcd3, id: string): Promise<void> {
  await etcd.leaseClient.leaseRevoke({ ID: id });
}

/** Remaining TTL of a lease in seconds (-1 when it no longer exists). */
export async function leaseTtl(etcd: Etcd3, id: string): Promise<number> {
  const response = await etcd.leaseClient.leaseTimeToLive({ ID: id });
  return Number(response.TTL);
}

/** Polls an async condition every 25 ms until true, or rejects after `timeoutMs`. */
export async function eventually(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
