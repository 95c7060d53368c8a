// `npm run bench:fleet`: a fleet of 3 sample servers behind a real etcd, all on this machine
// (127.0.0.1). Each instance is a separate Node process (bench/fleet-instance.ts, forked by
// test/helpers/fleet-instance-process.ts) publishing itself in etcd as service `echo`; a
// TTStreamClient in this process finds them through EtcdResolver and spreads unary EchoUnary
// calls over them (smooth weighted round robin), with a bounded number of calls in flight. The
// same load then goes to one instance only, through the same resolver path
// (`tags: { instance: 'i0' }`). Fleet and single runs alternate for ROUNDS rounds after an
// untimed warm-up of each; the medians are printed side by side, with the calls each instance
// served (counted server-side) and the ratio fleet / one instance.
// Env: BENCH_CALLS (per run, default 30000), BENCH_CONCURRENCY (calls in flight, default 64),
// BENCH_ROUNDS (default 3), BENCH_WARMUP (calls per warm-up, default 3000).
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { int, medianBy, printColumns } from './support/report.js';
import { firstValueFrom } from 'rxjs';
import { EtcdResolver } from '../lib/discovery/etcd/index.js';
import { loadThriftIdl } from '../lib/idl/index.js';
import { TTStreamClient } from '../lib/index.js';
import type { Request, Response } from '../sample/generated/echo.js';
import { ECHO_IDL_FILE } from '../sample/package-root.js';
import { startEtcd, type EtcdServer } from '../test/helpers/etcd-server.js';
import { FleetInstanceProcess as Instance } from '../test/helpers/fleet-instance-process.js';
import { withTimeout } from '../test/helpers/wait.js';

const INSTANCES = 3;
const CALLS = positive('BENCH_CALLS', 30_000);
const CONCURRENCY = positive('BENCH_CONCURRENCY', 64);
const ROUNDS = positive('BENCH_ROUNDS', 3);
const WARMUP = positive('BENCH_WARMUP', 3000);
/** Longest any single step (start, count, one run) may take. */
const STEP_TIMEOUT_MS = 120_000;
/** Each unary call's own deadline. */
const CALL_TIMEOUT_MS = 10_000;

const instanceScript = fileURLToPath(new URL('./fleet-instance.js', import.meta.url));

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

interface Run {
  readonly callsPerSec: number;
  /** Calls each instance served during the run (server-side counts), by instance name. */
  readonly served: Readonly<Record<string, number>>;
  /** This process's CPU time over wall time, % of one core (the client). */
  readonly clientCpu: number;
  /** CPU time of all instances together per call, µs (less sensitive to other load). */
  readonly serverUsPerCall: number;
}

/** CALLS unary calls with CONCURRENCY in flight; rejects on the first failed call. */
async function load(client: TTStreamClient, calls: number): Promise<number> {
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < calls) {
      const i = issued++;
      const req: Request = { message: 'fleet', userId: 1n, count: i };
      const res = await firstValueFrom(
        client.send<Response>('TestService.EchoUnary', req, { timeoutMs: CALL_TIMEOUT_MS }),
      );
      if (res.index !== i) throw new Error(`call ${i} got the reply of call ${res.index}`);
    }
  };
  const started = process.hrtime.bigint();
  await withTimeout(
    Promise.all(Array.from({ length: Math.min(CONCURRENCY, calls) }, worker)),
    `${calls} calls`,
    STEP_TIMEOUT_MS,
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function counts(instances: readonly Instance[]): Promise<{ count: number; cpuUs: number }[]> {
  return Promise.all(instances.map((i) => i.count()));
}

async function timedRun(client: TTStreamClient, instances: readonly Instance[]): Promise<Run> {
  const before = await counts(instances);
  const cpuBefore = process.cpuUsage();
  const seconds = await load(client, CALLS);
  const cpu = process.cpuUsage(cpuBefore);
  const after = await counts(instances);
  const served: Record<string, number> = {};
  let total = 0;
  let serverCpuUs = 0;
  instances.forEach((instance, i) => {
    const n = (after[i]?.count ?? 0) - (before[i]?.count ?? 0);
    served[instance.name] = n;
    total += n;
    serverCpuUs += (after[i]?.cpuUs ?? 0) - (before[i]?.cpuUs ?? 0);
  });
  if (total !== CALLS) throw new Error(`instances served ${total} calls, the client made ${CALLS}`);
  return {
    callsPerSec: CALLS / seconds,
    served,
    clientCpu: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    serverUsPerCall: serverCpuUs / CALLS,
  };
}

/** Waits (bounded) until the resolver sees `count` instances of `echo`. */
async function waitForInstances(endpoint: string, count: number): Promise<void> {
  const resolver = new EtcdResolver({ endpoints: [endpoint], etcdWatch: false });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = await resolver.resolve('echo');
      if (found.length === count) return;
      if (Date.now() > deadline) {
        throw new Error(`etcd lists ${found.length} instances of echo, expected ${count}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await resolver.close();
  }
}

/** What must be stopped on the way out, newest first. */
const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error: unknown) => {
      process.stderr.write(`cleanup: ${String(error)}\n`);
    });
  }
}

async function bench(): Promise<void> {
  const etcd: EtcdServer = await startEtcd();
  cleanups.push(() => etcd.dispose());
  process.stdout.write(`  etcd on ${etcd.endpoint}\n`);

  const names = Array.from({ length: INSTANCES }, (_, i) => `i${i}`);
  const instances: Instance[] = [];
  cleanups.push(() => Promise.all(instances.map((i) => i.stop())).then(() => undefined));
  for (const name of names) {
    const instance = await Instance.start(instanceScript, { etcd: etcd.endpoint, name });
    instances.push(instance);
    process.stdout.write(`  instance ${name} on 127.0.0.1:${instance.port}\n`);
  }
  await waitForInstances(etcd.endpoint, INSTANCES);

  const idl = loadThriftIdl(ECHO_IDL_FILE);
  const newClient = (tags?: Record<string, string>): TTStreamClient => {
    const client = new TTStreamClient({
      idl,
      service: 'echo',
      resolver: new EtcdResolver({ endpoints: [etcd.endpoint] }),
      ...(tags === undefined ? {} : { tags }),
      logger: false,
    });
    cleanups.push(() => client.close());
    return client;
  };
  const fleet = newClient();
  const single = newClient({ instance: 'i0' });

  let started = Date.now();
  await load(fleet, WARMUP);
  await load(single, WARMUP);
  process.stdout.write(
    `  warm-up (${int(WARMUP)} calls each): ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );

  const fleetRuns: Run[] = [];
  const singleRuns: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    started = Date.now();
    fleetRuns.push(await timedRun(fleet, instances));
    singleRuns.push(await timedRun(single, instances));
    process.stdout.write(`  round ${round}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }

  const row = (label: string, run: Run): string[] => [
    label,
    int(run.callsPerSec),
    ...names.map((n) => int(run.served[n] ?? 0)),
    run.clientCpu.toFixed(0),
    run.serverUsPerCall.toFixed(0),
  ];
  const header = [
    'run',
    'calls/s',
    ...names.map((n) => `${n} served`),
    'client cpu%',
    'server µs CPU/call',
  ];
  process.stdout.write(
    "\nEvery run (calls each instance served, counted by the instance; client cpu% = this process's\n" +
      "CPU time over wall time; server µs CPU/call = all instances' CPU time per call)\n",
  );
  printColumns(
    header,
    fleetRuns.flatMap((run, i) => [
      row(`round ${i + 1} fleet (${INSTANCES} instances)`, run),
      row(`round ${i + 1} one instance (i0)`, singleRuns[i] as Run),
    ]),
  );

  const fleetMedian = medianBy(fleetRuns, (r) => r.callsPerSec);
  const singleMedian = medianBy(singleRuns, (r) => r.callsPerSec);
  process.stdout.write(`\nMedian of ${ROUNDS} rounds\n`);
  printColumns(header, [
    row(`fleet (${INSTANCES} instances via etcd)`, fleetMedian),
    row('one instance (i0 via etcd tag)', singleMedian),
  ]);
  process.stdout.write(
    `\nfleet / one instance: ${(fleetMedian.callsPerSec / singleMedian.callsPerSec).toFixed(2)}x ` +
      `(${int(fleetMedian.callsPerSec)} vs ${int(singleMedian.callsPerSec)} calls/s)\n`,
  );
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `bench:fleet — Node ${process.version}, ${cpus().length} × ${cpu}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n` +
      `${INSTANCES} sample server processes behind etcd on 127.0.0.1, client in this process; ` +
      `unary EchoUnary, ${int(CALLS)} calls per run, ${CONCURRENCY} in flight, ` +
      `median of ${ROUNDS} alternating rounds after a warm-up\n\n`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    await bench();
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:fleet failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
