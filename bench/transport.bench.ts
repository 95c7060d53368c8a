// Transport benchmark: this library's TTHeader Streaming transport against @grpc/grpc-js on the
// same workloads, server and client in separate processes on 127.0.0.1, one connection each.
// Run with `npm run bench:transport` (compiles with tsconfig.run.json first).
//
//   server streaming, 1 KB messages, 1 stream and 100 streams    msgs/s, MB/s
//   bidi echo, 1 KB, 100 streams (one message in flight each)     msgs/s, p50/p99 round trip
//   10,000 idle bidi streams                                      server RSS and heap per stream
//
// Every message is the same 1024 Thrift-binary bytes on both transports (transport-payload.ts).
// Each timed case runs REPEATS times after WARMUPS untimed runs; the median run is reported. Set
// BENCH_CPU_PROF=<dir> to run the server children with --cpu-prof into <dir>.
import { type ChildProcess, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { int, medianBy, printColumns } from './support/report.js';
import { MESSAGE_BYTES } from './support/transport-payload.js';
import type {
  ClientReply,
  SendStyle,
  CpuSample,
  Impl,
  MemorySample,
  ServerCommand,
  ServerReply,
  Workload,
  WorkloadResult,
} from './support/transport-protocol.js';

const REPEATS = 5;
/** Untimed runs of each case first, so that both transports are measured with their code optimised. */
const WARMUPS = 3;
const STREAM_MESSAGES = 100_000;
const ECHO_STREAMS = 100;
const ECHO_PER_STREAM = 300;
const IDLE_STREAMS = 10_000;
/** Longest any single step may take. */
const STEP_TIMEOUT_MS = 120_000;

const serverScript = fileURLToPath(new URL('./support/transport-server.js', import.meta.url));
const clientScript = fileURLToPath(new URL('./support/transport-client.js', import.meta.url));

/** A forked child with request/reply over IPC. */
class Child {
  private readonly waiters: { accept: (m: unknown) => boolean; reject: (e: Error) => void }[] = [];
  private exited = false;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.on('message', (message: unknown) => {
      const index = this.waiters.findIndex((w) => w.accept(message));
      if (index >= 0) this.waiters.splice(index, 1);
    });
    process.on('exit', (code, signal) => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) {
        w.reject(new Error(`${name} exited (code ${String(code)}, signal ${String(signal)})`));
      }
    });
  }

  /** Waits for the first message `pick` returns a value for. */
  next<T>(pick: (message: unknown) => T | undefined, what: string): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`${this.name}: timed out waiting for ${what}`));
      }, STEP_TIMEOUT_MS);
      const waiter = {
        accept: (message: unknown): boolean => {
          const value = pick(message);
          if (value === undefined) return false;
          clearTimeout(timer);
          resolve(value);
          return true;
        },
        reject: (error: Error): void => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  send(message: unknown): void {
    this.process.send(message as Parameters<NonNullable<ChildProcess['send']>>[0]);
  }

  /** Asks the child to stop; kills it if it has not exited after 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) =>
      this.process.once('exit', () => {
        resolve();
      }),
    );
    try {
      this.send({ cmd: 'stop' });
    } catch {
      // IPC already closed.
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function forkChild(name: string, script: string, args: string[]): Child {
  const execArgv = ['--expose-gc'];
  const profDir = process.env.BENCH_CPU_PROF;
  if (profDir !== undefined && profDir !== '' && script === serverScript) {
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profDir}`,
      `--cpu-prof-name=${args[0] ?? 'server'}.cpuprofile`,
    );
  }
  return new Child(
    name,
    fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
}

class ServerChild {
  private constructor(
    readonly child: Child,
    readonly port: number,
  ) {}

  static async start(impl: Impl): Promise<ServerChild> {
    const child = forkChild(`${impl} server`, serverScript, [impl]);
    const port = await child.next((m) => {
      const reply = m as ServerReply;
      if (reply.type === 'error') throw new Error(reply.message);
      return reply.type === 'ready' ? reply.port : undefined;
    }, 'server ready');
    return new ServerChild(child, port);
  }

  private ask<T>(command: ServerCommand, pick: (reply: ServerReply) => T | undefined): Promise<T> {
    const answer = this.child.next((m) => pick(m as ServerReply), command.cmd);
    this.child.send(command);
    return answer;
  }

  memory(): Promise<MemorySample> {
    return this.ask({ cmd: 'memory' }, (r) => (r.type === 'memory' ? r.memory : undefined));
  }

  active(): Promise<number> {
    return this.ask({ cmd: 'active' }, (r) => (r.type === 'active' ? r.active : undefined));
  }

  cpu(): Promise<CpuSample> {
    return this.ask({ cmd: 'cpu' }, (r) => (r.type === 'cpu' ? r.cpu : undefined));
  }

  /** Polls the server's count of idle handlers until it is `count` (bounded). */
  async waitActive(count: number): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const active = await this.active();
      if (active === count) return;
      if (Date.now() > deadline)
        throw new Error(`server has ${active} idle streams, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

class ClientChild {
  private nextId = 1;

  private constructor(readonly child: Child) {}

  static async start(impl: Impl, port: number): Promise<ClientChild> {
    const child = forkChild(`${impl} client`, clientScript, [impl, String(port)]);
    await child.next(
      (m) => ((m as ClientReply).type === 'ready' ? true : undefined),
      'client ready',
    );
    return new ClientChild(child);
  }

  run(workload: Workload): Promise<WorkloadResult> {
    const id = this.nextId++;
    const answer = this.child.next((m) => {
      const reply = m as ClientReply;
      if (reply.type === 'failed' && reply.id === id)
        throw new Error(`${workload.kind}: ${reply.message}`);
      return reply.type === 'result' && reply.id === id ? reply.result : undefined;
    }, workload.kind);
    this.child.send({ cmd: 'run', id, workload });
    return answer;
  }
}

/** One timed case: throughput, latency and the server's CPU use. */
interface Timed {
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
  readonly p50Us?: number;
  readonly p99Us?: number;
  /** Server CPU time / wall time, in % of one core. */
  readonly serverCpu: number;
  /** Client CPU time / wall time, in % of one core. */
  readonly clientCpu: number;
  /** Server CPU time per message, microseconds (robust against other load on the machine). */
  readonly serverUsPerMsg: number;
}

interface IdleMemory {
  readonly rssPerStream: number;
  readonly heapPerStream: number;
  readonly clientRssPerStream: number;
  readonly clientHeapPerStream: number;
}

async function timedRun(
  server: ServerChild,
  client: ClientChild,
  workload: Workload,
): Promise<Timed> {
  const before = await server.cpu();
  const result = await client.run(workload);
  const after = await server.cpu();
  const seconds = result.elapsedNs / 1e9;
  const cpuSeconds = (after.user - before.user + after.system - before.system) / 1e6;
  return {
    msgsPerSec: result.messages / seconds,
    mbPerSec: (result.messages * MESSAGE_BYTES) / seconds / 1e6,
    p50Us: result.p50Us,
    p99Us: result.p99Us,
    serverCpu: (cpuSeconds / seconds) * 100,
    clientCpu: ((result.cpuUs ?? 0) / 1e6 / seconds) * 100,
    serverUsPerMsg: (cpuSeconds * 1e6) / result.messages,
  };
}

async function idleMemory(server: ServerChild, client: ClientChild): Promise<IdleMemory> {
  // Warm-up: open and release a few, so code is compiled, without pre-growing the heap.
  await client.run({ kind: 'idleOpen', streams: 100 });
  await server.waitActive(100);
  await client.run({ kind: 'idleRelease' });
  await server.waitActive(0);
  const before = await server.memory();
  const clientBefore = (await client.run({ kind: 'memory' })).memory as MemorySample;
  await client.run({ kind: 'idleOpen', streams: IDLE_STREAMS });
  await server.waitActive(IDLE_STREAMS);
  const after = await server.memory();
  const clientAfter = (await client.run({ kind: 'memory' })).memory as MemorySample;
  await client.run({ kind: 'idleRelease' });
  await server.waitActive(0);
  return {
    rssPerStream: (after.rss - before.rss) / IDLE_STREAMS,
    heapPerStream: (after.heapUsed - before.heapUsed) / IDLE_STREAMS,
    clientRssPerStream: (clientAfter.rss - clientBefore.rss) / IDLE_STREAMS,
    clientHeapPerStream: (clientAfter.heapUsed - clientBefore.heapUsed) / IDLE_STREAMS,
  };
}

interface ImplResults {
  readonly stream1: Timed;
  readonly stream1Window?: Timed;
  readonly stream100: Timed;
  readonly stream100Window?: Timed;
  readonly echo: Timed;
  readonly idle: IdleMemory;
}

interface Peers {
  readonly server: ServerChild;
  readonly client: ClientChild;
}

async function startPeers(impl: Impl): Promise<Peers> {
  const server = await ServerChild.start(impl);
  try {
    return { server, client: await ClientChild.start(impl, server.port) };
  } catch (error) {
    await server.child.stop();
    throw error;
  }
}

/**
 * Runs `workload` on each transport: WARMUPS untimed runs each, then REPEATS rounds that alternate the
 * transports, so load from other processes on the machine hits both alike.
 */
async function compare(
  label: string,
  peers: Readonly<Record<Impl, Peers>>,
  workloads: Readonly<Record<Impl, Workload>>,
): Promise<Record<Impl, Timed>> {
  const started = Date.now();
  const impls: Impl[] = ['ttstream', 'grpc'];
  for (let i = 0; i < WARMUPS; i++) {
    for (const impl of impls) await peers[impl].client.run(workloads[impl]);
  }
  const runs: Record<Impl, Timed[]> = { ttstream: [], grpc: [] };
  for (let i = 0; i < REPEATS; i++) {
    for (const impl of impls)
      runs[impl].push(await timedRun(peers[impl].server, peers[impl].client, workloads[impl]));
  }
  process.stdout.write(`  ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return { ttstream: byRate(runs.ttstream), grpc: byRate(runs.grpc) };
}

/** The median run by throughput. */
const byRate = (runs: readonly Timed[]): Timed => medianBy(runs, (t) => t.msgsPerSec);

/** Runs `workload` on the ttstream peers only (send-style variants grpc-js has no analogue of). */
async function oursOnly(label: string, peers: Peers, workload: Workload): Promise<Timed> {
  const started = Date.now();
  for (let i = 0; i < WARMUPS; i++) await peers.client.run(workload);
  const runs: Timed[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await timedRun(peers.server, peers.client, workload));
  process.stdout.write(`  ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return byRate(runs);
}

async function benchAll(): Promise<Record<Impl, ImplResults>> {
  const ours = await startPeers('ttstream');
  let grpc: Peers | undefined;
  try {
    grpc = await startPeers('grpc');
    const peers = { ttstream: ours, grpc };
    const both = (workload: Workload): Record<Impl, Workload> => ({
      ttstream: workload,
      grpc: workload,
    });
    const serverStream = (streams: number, style: SendStyle): Workload => ({
      kind: 'serverStream',
      streams,
      perStream: STREAM_MESSAGES / streams,
      style,
    });
    const stream1 = await compare(
      `server-stream 1 x ${STREAM_MESSAGES}`,
      peers,
      both(serverStream(1, 'await')),
    );
    const stream1Window = await oursOnly(
      'server-stream 1 stream, window',
      ours,
      serverStream(1, 'window'),
    );
    const stream100 = await compare(
      `server-stream 100 x ${STREAM_MESSAGES / 100}`,
      peers,
      both(serverStream(100, 'await')),
    );
    const stream100Window = await oursOnly(
      'server-stream 100 streams, window',
      ours,
      serverStream(100, 'window'),
    );
    const echo = await compare(
      `bidi echo ${ECHO_STREAMS} x ${ECHO_PER_STREAM}`,
      peers,
      both({ kind: 'bidiEcho', streams: ECHO_STREAMS, perStream: ECHO_PER_STREAM }),
    );
    let started = Date.now();
    const oursIdle = await idleMemory(ours.server, ours.client);
    process.stdout.write(
      `  ttstream ${IDLE_STREAMS} idle streams: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    started = Date.now();
    const grpcIdle = await idleMemory(grpc.server, grpc.client);
    process.stdout.write(
      `  grpc-js ${IDLE_STREAMS} idle streams: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return {
      ttstream: {
        stream1: stream1.ttstream,
        stream1Window,
        stream100: stream100.ttstream,
        stream100Window,
        echo: echo.ttstream,
        idle: oursIdle,
      },
      grpc: { stream1: stream1.grpc, stream100: stream100.grpc, echo: echo.grpc, idle: grpcIdle },
    };
  } finally {
    for (const p of [ours, grpc]) {
      if (p === undefined) continue;
      await p.client.child.stop();
      await p.server.child.stop();
    }
  }
}

const fixed = (n: number | undefined, digits = 1): string =>
  n === undefined ? '-' : n.toFixed(digits);
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `bench:transport — Node ${process.version}, ${cpus().length} × ${cpu}, 127.0.0.1, one connection, ` +
      `${MESSAGE_BYTES} B messages, median of ${REPEATS} alternating runs after ${WARMUPS} warm-up runs\n\n`,
  );
  const results = await benchAll();
  const ours = results.ttstream;
  const grpc = results.grpc;

  process.stdout.write(
    '\nThroughput (client-observed; cpu% s/c = server/client CPU time over wall time, % of one core;\n' +
      '"server µs CPU/msg" and "CPU ratio" compare the server CPU cost per message, which other load on the machine affects less)\n',
  );
  const throughputRow = (name: string, a: Timed, b: Timed): string[] => [
    name,
    int(a.msgsPerSec),
    fixed(a.mbPerSec),
    `${fixed(a.serverCpu, 0)}/${fixed(a.clientCpu, 0)}`,
    int(b.msgsPerSec),
    fixed(b.mbPerSec),
    `${fixed(b.serverCpu, 0)}/${fixed(b.clientCpu, 0)}`,
    `${fixed(a.msgsPerSec / b.msgsPerSec, 2)}x`,
    `${fixed(a.serverUsPerMsg, 2)} / ${fixed(b.serverUsPerMsg, 2)}`,
    `${fixed(b.serverUsPerMsg / a.serverUsPerMsg, 2)}x`,
  ];
  const rows = [
    throughputRow('server-stream 1 stream (await send)', ours.stream1, grpc.stream1),
    ...(ours.stream1Window
      ? [
          throughputRow(
            'server-stream 1 stream (256 sends in flight)',
            ours.stream1Window,
            grpc.stream1,
          ),
        ]
      : []),
    throughputRow('server-stream 100 streams (await send)', ours.stream100, grpc.stream100),
    ...(ours.stream100Window
      ? [
          throughputRow(
            'server-stream 100 streams (256 sends in flight)',
            ours.stream100Window,
            grpc.stream100,
          ),
        ]
      : []),
    throughputRow('bidi echo 100 streams', ours.echo, grpc.echo),
  ];
  printColumns(
    [
      'workload',
      'ttstream msg/s',
      'MB/s',
      'cpu% s/c',
      'grpc-js msg/s',
      'MB/s',
      'cpu% s/c',
      'ratio',
      'server µs CPU/msg ours / grpc',
      'CPU ratio',
    ],
    rows,
  );

  process.stdout.write('\nBidi echo latency (per message round trip, 100 concurrent streams)\n');
  printColumns(
    ['transport', 'p50 (µs)', 'p99 (µs)'],
    [
      ['ttstream', fixed(ours.echo.p50Us, 0), fixed(ours.echo.p99Us, 0)],
      ['grpc-js', fixed(grpc.echo.p50Us, 0), fixed(grpc.echo.p99Us, 0)],
    ],
  );

  process.stdout.write(
    `\nMemory per idle stream (${int(IDLE_STREAMS)} streams, one connection, after gc; RSS deltas are noisy ` +
      'because V8 reuses pages freed by earlier GCs, heap deltas are the steadier figure)\n',
  );
  printColumns(
    ['transport', 'server RSS', 'server heap', 'client RSS', 'client heap'],
    [
      [
        'ttstream',
        kb(ours.idle.rssPerStream),
        kb(ours.idle.heapPerStream),
        kb(ours.idle.clientRssPerStream),
        kb(ours.idle.clientHeapPerStream),
      ],
      [
        'grpc-js',
        kb(grpc.idle.rssPerStream),
        kb(grpc.idle.heapPerStream),
        kb(grpc.idle.clientRssPerStream),
        kb(grpc.idle.clientHeapPerStream),
      ],
    ],
  );

  const bestStream = (t: Timed, w: Timed | undefined): number =>
    Math.max(t.msgsPerSec, w?.msgsPerSec ?? 0);
  process.stdout.write('\nTargets\n');
  printColumns(
    ['target', 'measured', 'result'],
    [
      [
        'server-stream 1 stream >= 5x grpc-js (await send)',
        `${fixed(ours.stream1.msgsPerSec / grpc.stream1.msgsPerSec, 2)}x`,
        verdict(ours.stream1.msgsPerSec >= 5 * grpc.stream1.msgsPerSec),
      ],
      [
        'server-stream 1 stream >= 5x grpc-js (best style)',
        `${fixed(bestStream(ours.stream1, ours.stream1Window) / grpc.stream1.msgsPerSec, 2)}x`,
        verdict(bestStream(ours.stream1, ours.stream1Window) >= 5 * grpc.stream1.msgsPerSec),
      ],
      [
        'server-stream 100 streams >= 5x grpc-js (await send)',
        `${fixed(ours.stream100.msgsPerSec / grpc.stream100.msgsPerSec, 2)}x`,
        verdict(ours.stream100.msgsPerSec >= 5 * grpc.stream100.msgsPerSec),
      ],
      [
        'server-stream 100 streams >= 5x grpc-js (best style)',
        `${fixed(bestStream(ours.stream100, ours.stream100Window) / grpc.stream100.msgsPerSec, 2)}x`,
        verdict(bestStream(ours.stream100, ours.stream100Window) >= 5 * grpc.stream100.msgsPerSec),
      ],
      [
        'bidi echo 100 streams >= 4x grpc-js',
        `${fixed(ours.echo.msgsPerSec / grpc.echo.msgsPerSec, 2)}x`,
        verdict(ours.echo.msgsPerSec >= 4 * grpc.echo.msgsPerSec),
      ],
      [
        'server memory per idle stream <= 2 KB (larger of RSS and heap)',
        kb(Math.max(ours.idle.rssPerStream, ours.idle.heapPerStream)),
        verdict(Math.max(ours.idle.rssPerStream, ours.idle.heapPerStream) <= 2048),
      ],
    ],
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:transport failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
