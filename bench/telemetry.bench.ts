// Telemetry overhead benchmark: the sample TestService through TTStreamServer / TTStreamClient
// (Nest), server and client in separate processes on 127.0.0.1, one connection, 1 KB messages,
// in five telemetry set-ups (one server and one client child each, all started up front):
//   (a) off      `telemetry: false` on both sides
//   (b) api      the default 'auto', @opentelemetry/api installed, no SDK registered
//   (c) sdk      the default, an SDK registered: always-on sampling, batch span processor into a
//                no-op exporter, W3C propagation, AsyncLocalStorage context, a meter provider
//                with a periodic reader
//   (d) absent   the default, @opentelemetry/api unresolvable (hide-otel-api.js, the preload of
//                every case, hides it here); the
//                children check that it is, and that no @opentelemetry module ever loads
//   (e) sdk-off  the SDK of (c) with `telemetry: false`, a context made active once (as the SDK's
//                first export does): a control for what the SDK costs an application by itself
//                (on Node 20 an active AsyncLocalStorage slows every promise), so (c) / (e) is
//                the plug-in's own cost
// Workloads (sizes in WORKLOADS): bidi echo (Echo, one message in flight per stream), server
// streaming (EchoServer, long streams), and short server streams (the per-stream costs: spans and
// metric points).
// The run is EPOCHS epochs; each starts fresh children for every case (each epoch starting with
// another case), and in each, every workload runs WARMUP untimed rounds, then ROUNDS timed
// rounds. Fresh children per epoch because a child pair keeps its own luck for its whole life
// (JIT and GC state): two identical pairs of children, interleaved for 21 rounds, differed by up
// to 12% in median msgs/s.
// A round runs every case in turn, each round starting one case later (a b c d e, b c d e a, ...),
// so that load from other processes hits all alike, each timed run right after a re-warm run on
// its pair (see `measure`). Printed per case: the medians, and the median over all rounds of its
// ratio to (a) in the same round (steadier than a ratio of medians when the load drifts), with
// the 90% bootstrap interval of that median (epochs drawn whole: the rounds of one pair share its
// luck, so more epochs narrow it, more rounds hardly): a target is PASS or MISS only when the
// whole interval is past its line. 16 epochs because 8 left bidi echo's interval about 0.2 wide,
// across the 0.85x line in two runs of two; 16 narrowed it to 0.06. Throughput is client-observed
// msgs/s; µs CPU/msg is server + client process CPU time per message. Run with
// `npm run bench:telemetry` (about 20 minutes; BENCH_EPOCHS=8 for a quicker, wider look).
// Env: BENCH_EPOCHS (default 16), BENCH_ROUNDS (per epoch, default 3), BENCH_WARMUP (default 4),
// BENCH_SCALE (multiplies the message counts, default 1), BENCH_SPLIT=1 (adds (f) tracing only
// and (g) metrics only, each with the SDK of (c)).
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { clustersOf, type Interval, medianInterval, verdict } from './support/bootstrap.js';
import { int, median, printColumns, quantile } from './support/report.js';
import {
  MESSAGE_BYTES,
  type PeerCommand,
  type PeerReply,
  type Recorded,
  SPLIT_CASES,
  TELEMETRY_CASES,
  type TelemetryCase,
  type Workload,
  type WorkloadResult,
} from './support/telemetry-protocol.js';

const EPOCHS = positive('BENCH_EPOCHS', 16);
const ROUNDS = positive('BENCH_ROUNDS', 3);
const WARMUP = positive('BENCH_WARMUP', 4);
const SCALE = positive('BENCH_SCALE', 1);
/** Longest any single step (start, one run, stats) may take. */
const STEP_TIMEOUT_MS = 120_000;

const peerScript = fileURLToPath(new URL('./support/telemetry-peer.js', import.meta.url));
const hideOtelApi = fileURLToPath(new URL('./support/hide-otel-api.js', import.meta.url));

const LABELS: Readonly<Record<TelemetryCase, string>> = {
  off: '(a) telemetry: false',
  api: '(b) auto, API, no SDK',
  sdk: '(c) auto, SDK registered',
  absent: '(d) auto, API absent',
  'sdk-off': '(e) SDK + context, tel. false',
  'sdk-traces': '(f) SDK, tracing only',
  'sdk-metrics': '(g) SDK, metrics only',
};

/** The cases run: (a) to (e), and with BENCH_SPLIT=1 (f) and (g) too. */
const CASES: readonly TelemetryCase[] =
  process.env['BENCH_SPLIT'] === '1' ? [...TELEMETRY_CASES, ...SPLIT_CASES] : TELEMETRY_CASES;

/** A workload and what the report calls it (its sizes are added from the workload). */
interface Measured {
  readonly name: string;
  readonly workload: Workload;
}

/** Long enough that a timed run measures the steady state (a run of 300 per stream did not). */
const WORKLOADS: readonly Measured[] = [
  {
    name: 'bidi echo',
    workload: { kind: 'bidiEcho', streams: 100, perStream: 1000 * SCALE },
  },
  {
    name: 'server streaming',
    workload: { kind: 'serverStream', streams: 100, concurrency: 100, perStream: 3000 * SCALE },
  },
  {
    name: 'short server streams',
    workload: { kind: 'serverStream', streams: 3000 * SCALE, concurrency: 50, perStream: 10 },
  },
];

/** `bidi echo, 100 x 1,000`; `(50 open)` when fewer streams are open at a time than run. */
function labelOf({ name, workload }: Measured): string {
  const open =
    workload.kind === 'serverStream' && workload.concurrency < workload.streams
      ? ` (${int(workload.concurrency)} open)`
      : '';
  return `${name}, ${int(workload.streams)} x ${int(workload.perStream)}${open}`;
}

/** A third of `workload`: long streams made shorter, short ones fewer. */
function rewarmOf(workload: Workload): Workload {
  const shorter = workload.perStream >= 100;
  return {
    ...workload,
    streams: shorter ? workload.streams : Math.ceil(workload.streams / 3),
    perStream: shorter ? Math.ceil(workload.perStream / 3) : workload.perStream,
  };
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** A forked child with request/reply over IPC. */
class Peer {
  private readonly waiters: { accept: (m: PeerReply) => boolean; reject: (e: Error) => void }[] =
    [];
  private exited = false;
  private nextId = 1;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.on('message', (message: PeerReply) => {
      if (message.type === 'error') {
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${name}: ${message.message}`));
        return;
      }
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

  static async start(kind: TelemetryCase, args: readonly string[]): Promise<Peer> {
    // The same preload in every case (it hides the API only in `absent`): see its header.
    const child = fork(peerScript, [...args], {
      execArgv: ['--import', hideOtelApi],
      env: { ...process.env, BENCH_HIDE_OTEL_API: kind === 'absent' ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const peer = new Peer(`${kind} ${args[0] ?? ''}`, child);
    const ready = await peer.next((m) => (m.type === 'ready' ? m : undefined), 'ready');
    if (ready.otelApi === (kind === 'absent')) {
      throw new Error(`${peer.name}: @opentelemetry/api present = ${String(ready.otelApi)}`);
    }
    peer.port = ready.port;
    return peer;
  }

  port = 0;

  /** Waits for the first reply `pick` returns a value for. */
  next<T>(pick: (message: PeerReply) => T | undefined, what: string): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`${this.name}: timed out waiting for ${what}`));
      }, STEP_TIMEOUT_MS);
      const waiter = {
        accept: (message: PeerReply): boolean => {
          let value: T | undefined;
          try {
            value = pick(message);
          } catch (error) {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
            return true;
          }
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

  private send(command: PeerCommand): void {
    this.process.send(command);
  }

  run(workload: Workload): Promise<WorkloadResult> {
    const id = this.nextId++;
    const answer = this.next((m) => {
      if (m.type === 'failed' && m.id === id) throw new Error(`${this.name}: ${m.message}`);
      return m.type === 'result' && m.id === id ? m.result : undefined;
    }, workload.kind);
    this.send({ cmd: 'run', id, workload });
    return answer;
  }

  stats(): Promise<{ cpuUs: number; recorded: Recorded; otelModules: number }> {
    const answer = this.next((m) => (m.type === 'stats' ? m : undefined), 'stats');
    this.send({ cmd: 'stats' });
    return answer;
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

interface Pair {
  readonly server: Peer;
  readonly client: Peer;
}

/** One timed run of one case. */
interface Timed {
  readonly msgsPerSec: number;
  /** Server + client CPU time per message, µs (less sensitive to other load than msgs/s). */
  readonly cpuUsPerMsg: number;
  /** Spans exported by server + client during the run (case sdk only). */
  readonly spans: number;
}

async function timedRun(pair: Pair, workload: Workload): Promise<Timed> {
  const before = await pair.server.stats();
  const clientBefore = await pair.client.stats();
  const result = await pair.client.run(workload);
  const after = await pair.server.stats();
  const clientAfter = await pair.client.stats();
  const serverCpuUs = after.cpuUs - before.cpuUs;
  const spans =
    after.recorded.spans -
    before.recorded.spans +
    clientAfter.recorded.spans -
    clientBefore.recorded.spans;
  return {
    msgsPerSec: result.messages / (result.elapsedNs / 1e9),
    cpuUsPerMsg: (serverCpuUs + result.cpuUs) / result.messages,
    spans,
  };
}

/** All timed runs of one workload, by case, round i of each case side by side. */
type Runs = Readonly<Record<TelemetryCase, readonly Timed[]>>;

function noRuns(): Record<TelemetryCase, Timed[]> {
  return {
    off: [],
    api: [],
    sdk: [],
    absent: [],
    'sdk-off': [],
    'sdk-traces': [],
    'sdk-metrics': [],
  };
}

/**
 * Runs one epoch of `workload` on `pairs`, adding its timed rounds to `runs`. Each timed run comes
 * right after an untimed re-warm run, a third its size, on the same pair: while the other cases
 * ran, the pair sat idle, and a pair idle for a second ran its next 30,000 bidi messages at twice
 * the CPU per message of its steady state (the same tasks and batches per run). Timed runs of 300
 * per bidi stream without it measured mostly that, and the telemetry case paid more of it.
 */
async function measure(
  pairs: Readonly<Record<TelemetryCase, Pair>>,
  workload: Workload,
  runs: Record<TelemetryCase, Timed[]>,
): Promise<void> {
  const rewarm = rewarmOf(workload);
  for (let i = 0; i < WARMUP; i++) {
    for (const kind of CASES) await pairs[kind].client.run(workload);
  }
  for (let i = 0; i < ROUNDS; i++) {
    // Each round starts one case later (a b c d e, b c d e a, ...): no case always runs first.
    const order = CASES.map((_, j) => CASES[(i + j) % CASES.length]);
    for (const kind of order) {
      if (kind === undefined) continue;
      await pairs[kind].client.run(rewarm);
      runs[kind].push(await timedRun(pairs[kind], workload));
    }
  }
}

/** `kind`'s figure divided by `base`'s in the same round, for every round. */
function roundRatios(
  runs: Runs,
  kind: TelemetryCase,
  base: TelemetryCase,
  figure: (t: Timed) => number,
): number[] {
  const bases = runs[base];
  return runs[kind].map((t, i) => figure(t) / figure(bases[i] ?? t));
}

/** The median over rounds of `kind`'s figure divided by `base`'s in the same round. */
function roundRatio(
  runs: Runs,
  kind: TelemetryCase,
  base: TelemetryCase,
  figure: (t: Timed) => number,
): number {
  return median(roundRatios(runs, kind, base, figure));
}

/**
 * The median per-round msgs/s ratio of `kind` to `base`, with its 90% bootstrap interval, each
 * epoch's rounds drawn together (they share their processes' luck).
 */
function ratioInterval(runs: Runs, kind: TelemetryCase, base: TelemetryCase): Interval {
  return medianInterval(clustersOf(roundRatios(runs, kind, base, msgsPerSec), ROUNDS));
}

/** `0.91x [0.84-0.97]`: a median ratio and its interval. */
const withInterval = (i: Interval): string =>
  `${ratio(i.value)} [${i.low.toFixed(2)}-${i.high.toFixed(2)}]`;

const msgsPerSec = (t: Timed): number => t.msgsPerSec;
const cpuPerMsg = (t: Timed): number => t.cpuUsPerMsg;

const ratio = (n: number): string => `${n.toFixed(2)}x`;

/**
 * What "within noise" means here: the larger distance from 1 of the quartiles of the per-round
 * msgs/s ratios of (b) to (a). (b) runs the code of (a) but for one lookup per call, so how far
 * their ratio moves from round to round is how far the machine's load moves a ratio.
 */
function noise(runs: Runs): number {
  const ratios = roundRatios(runs, 'api', 'off', msgsPerSec);
  return Math.max(Math.abs(1 - quantile(ratios, 0.25)), Math.abs(quantile(ratios, 0.75) - 1));
}

function printWorkload(label: string, seconds: number, runs: Runs): void {
  process.stdout.write(`\n${label} (${seconds.toFixed(1)} s)\n`);
  printColumns(
    ['case', 'msgs/s', 'vs (a)', 'µs CPU/msg s+c', 'vs (a)', 'spans/run', 'msgs/s of each round'],
    CASES.map((kind) => {
      const timed = runs[kind];
      return [
        LABELS[kind],
        int(median(timed.map(msgsPerSec))),
        ratio(roundRatio(runs, kind, 'off', msgsPerSec)),
        median(timed.map(cpuPerMsg)).toFixed(2),
        ratio(roundRatio(runs, kind, 'off', cpuPerMsg)),
        int(median(timed.map((t) => t.spans))),
        timed.map((t) => int(t.msgsPerSec)).join(' '),
      ];
    }),
  );
  if (median(runs.sdk.map((t) => t.spans)) === 0) {
    process.stdout.write(
      'WARNING: case (c) exported no spans: is the OpenTelemetry plug-in wired?\n',
    );
  }
}

/** What the children of the last epoch loaded and recorded: checked, and printed at the end. */
async function checkChildren(pairs: Readonly<Record<TelemetryCase, Pair>>): Promise<string> {
  const absent = await Promise.all([pairs.absent.server.stats(), pairs.absent.client.stats()]);
  if (absent.some((s) => s.otelModules > 0)) {
    throw new Error('case (d) loaded @opentelemetry modules: it did not take the absent path');
  }
  const recorded = await Promise.all([pairs.sdk.server.stats(), pairs.sdk.client.stats()]);
  return (
    `\nCase (d) modules loaded from @opentelemetry/*: server ${absent[0].otelModules}, ` +
    `client ${absent[1].otelModules}; case (b): server ` +
    `${(await pairs.api.server.stats()).otelModules}\n` +
    `Case (c) metrics exported: server ${recorded[0].recorded.metrics.join(', ') || 'none'}; ` +
    `client ${recorded[1].recorded.metrics.join(', ') || 'none'}\n`
  );
}

/**
 * Starts a server and a client child for every case (each added to `started` at once), the
 * first case of epoch `epoch` being case `epoch`: no case is always started first.
 */
async function startPairs(started: Peer[], epoch: number): Promise<Record<TelemetryCase, Pair>> {
  const pairs = {} as Record<TelemetryCase, Pair>;
  for (const kind of CASES.map((_, j) => CASES[(epoch + j) % CASES.length])) {
    if (kind === undefined) continue;
    const server = await Peer.start(kind, ['server', kind]);
    started.push(server);
    const client = await Peer.start(kind, ['client', kind, String(server.port)]);
    started.push(client);
    pairs[kind] = { server, client };
  }
  return pairs;
}

async function bench(started: Peer[], stopAll: () => Promise<void>): Promise<void> {
  const runs = WORKLOADS.map(noRuns);
  const seconds = WORKLOADS.map(() => 0);
  let children = '';
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const pairs = await startPairs(started, epoch);
    for (const [w, { workload }] of WORKLOADS.entries()) {
      const began = Date.now();
      await measure(pairs, workload, runs[w] ?? noRuns());
      seconds[w] = (seconds[w] ?? 0) + (Date.now() - began) / 1000;
    }
    if (epoch === EPOCHS - 1) children = await checkChildren(pairs);
    await stopAll();
  }
  const targets: string[][] = [];
  for (const [w, measured] of WORKLOADS.entries()) {
    const label = labelOf(measured);
    const workloadRuns = runs[w] ?? noRuns();
    printWorkload(label, seconds[w] ?? 0, workloadRuns);
    targets.push(...targetRows(label, workloadRuns));
  }
  process.stdout.write(
    children +
      "\nTargets (the issue's: bidi echo and long server streams; short streams for information).\n" +
      'msgs/s ratio: median of per-round ratios, in brackets the 90% bootstrap interval of that\n' +
      'median, resampling whole epochs (PASS or MISS only when the whole interval is past the\n' +
      "line, else UNRESOLVED: the rounds cannot place it); CPU ratio: (a) µs CPU/msg over the case's\n",
  );
  printColumns(['target', 'msgs/s ratio', 'CPU ratio', 'result'], targets);
}

/** The target rows of one workload. */
function targetRows(label: string, runs: Runs): string[][] {
  const sdk = ratioInterval(runs, 'sdk', 'off');
  const absent = ratioInterval(runs, 'absent', 'off');
  const within = noise(runs);
  const cpu = (kind: TelemetryCase, base: TelemetryCase): string =>
    ratio(1 / roundRatio(runs, kind, base, cpuPerMsg));
  return [
    [`${label}: (c) >= 0.85x (a)`, withInterval(sdk), cpu('sdk', 'off'), verdict(sdk, 0.85)],
    [
      `${label}: (d) = (a) ± ${(within * 100).toFixed(0)}% (noise: (b)/(a) quartiles)`,
      withInterval(absent),
      cpu('absent', 'off'),
      Math.abs(1 - absent.value) <= within ? 'PASS' : 'MISS',
    ],
    [
      `${label}: (b) vs (a), the same code (noise)`,
      withInterval(ratioInterval(runs, 'api', 'off')),
      cpu('api', 'off'),
      '',
    ],
    [
      `${label}: (c) vs (e), the plug-in's own cost (info)`,
      withInterval(ratioInterval(runs, 'sdk', 'sdk-off')),
      cpu('sdk', 'sdk-off'),
      '',
    ],
  ];
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `bench:telemetry — Node ${process.version}, ${cpus().length} × ${cpu}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n` +
      `Nest TTStreamServer + TTStreamClient in separate processes on 127.0.0.1, one connection, ` +
      `${MESSAGE_BYTES} B messages; ${EPOCHS} epochs of fresh children, each ${WARMUP} warm-up ` +
      `rounds then ${ROUNDS} timed rounds (cases interleaved, each timed run right after a re-warm ` +
      `run on its pair); medians over all timed rounds\n`,
  );
  const started: Peer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    await bench(started, stopAll);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:telemetry failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
