// Shared set-up of the fleet fault tests: a real etcd, three instance processes
// (bench/fleet-instance.ts) registered by EtcdRegistry, and a client that finds them through
// EtcdResolver. `dispose()` stops everything, whatever state the test left it in.
import type { Etcd3 } from 'etcd3';
import { EtcdResolver } from '../../lib/discovery/etcd/index.js';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { TTStreamClient } from '../../lib/index.js';
import { ECHO_IDL_FILE } from '../../sample/package-root.js';
import { eventually, rawEtcd } from '../helpers/etcd-fixture.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import {
  FleetInstanceProcess,
  type FleetInstanceSettings,
} from '../helpers/fleet-instance-process.js';

/** The instance script test/fleet/global-setup.ts compiled. */
export function instanceScript(): string {
  const script = process.env['FLEET_INSTANCE_SCRIPT'];
  if (script === undefined)
    throw new Error('FLEET_INSTANCE_SCRIPT unset: run with jest.fleet.config.js');
  return script;
}

/** The etcd key kitex-contrib's registry (and ours) publishes an instance of `echo` under. */
export function echoKey(port: number): string {
  return `kitex/registry-etcd/echo/127.0.0.1:${port}`;
}

/** A running fleet. */
export interface Fleet {
  readonly etcd: EtcdServer;
  readonly raw: Etcd3;
  readonly instances: readonly FleetInstanceProcess[];
  readonly client: TTStreamClient;
  dispose(): Promise<void>;
}

/** Starts etcd, `count` instances named i0.. with `settings`, and a client; waits until listed. */
export async function startFleet(
  settings: Omit<FleetInstanceSettings, 'etcd' | 'name'>,
  count = 3,
): Promise<Fleet> {
  const etcd = await startEtcd();
  const raw = rawEtcd(etcd.endpoint);
  const instances: FleetInstanceProcess[] = [];
  let client: TTStreamClient | undefined;
  const resolver = new EtcdResolver({ endpoints: [etcd.endpoint] });
  const dispose = async (): Promise<void> => {
    await client?.close().catch(() => undefined);
    await resolver.close();
    await Promise.all(instances.map((i) => i.stop()));
    raw.close();
    await etcd.dispose();
  };
  try {
    // One after another: three compilations of Nest at once would crowd a 2-core machine.
    for (let i = 0; i < count; i++) {
      instances.push(
        await FleetInstanceProcess.start(instanceScript(), {
          ...settings,
          etcd: etcd.endpoint,
          name: `i${i}`,
        }),
      );
    }
    await eventually(
      async () => (await raw.getAll().prefix('kitex/registry-etcd/echo/').keys()).length === count,
      `${count} instances of echo in etcd`,
      20_000,
    );
    client = new TTStreamClient({
      idl: loadThriftIdl(ECHO_IDL_FILE),
      service: 'echo',
      resolver,
      logger: false,
    });
    return { etcd, raw, instances, client, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
