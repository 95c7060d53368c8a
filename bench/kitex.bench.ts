// `npm run bench:kitex`: the same Kitex (Go) client load, first against the Kitex Go server and
// then against our server (bench/support/kitex-server.ts, a child process), in one run:
//   bidi:   bench_bidi, 100 Echo streams each in a ping-pong loop of 1 KB messages
//   server: bench_server, 10 workers each calling EchoServer {1 KB, count 100} in a loop
// Prints msgs/s and p50/p99 latency for both and the ratios ours/Kitex. Target on the 2-core
// reference machine: throughput ratio >= 0.5 and p99 ratio <= 2.
// Env: BENCH_ROUNDS (default 3; Kitex and ours alternate, medians are printed), BENCH_DURATION
// (Go duration measured per run, default 3s), BENCH_WARMUP (default 1s).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = resolve('test/interop/kitex-peer/bin');
const OUR_SERVER = resolve('build/bench/support/kitex-server.js');
const DURATION = process.env['BENCH_DURATION'] ?? '3s';
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? '3'));
const WARMUP = process.env['BENCH_WARMUP'] ?? '1s';

interface Case {
  readonly name: string;
  readonly flags: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'bidi echo 1 KB, 100 streams',
    flags: ['-scenario', 'bench_bidi', '-concurrency', '100', '-size', '1024'],
  },
  {
    name: 'server stream 1 KB, 10 x count 100',
    flags: ['-scenario', 'bench_server', '-concurrency', '10', '-count', '100', '-size', '1024'],
  },
];

interface Result {
  readonly msgsPerS: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly msgs: number;
  readonly errors: number;
}

interface Server {
  readonly address: string;
  stop(): Promise<void>;
}

/** Spawns a server that prints `LISTENING <addr>`; 15 s to come up. */
function startServer(name: string, command: string, args: readonly string[]): Promise<Server> {
  const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${name} did not start within 15 s`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited early with ${String(code)}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^LISTENING (\S+)$/.exec(line);
      if (m?.[1] === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      done({ address: m[1], stop: () => stopChild(child) });
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => {
    child.once('exit', () => {
      done();
    });
  });
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/** Runs the Go client load once against `address`. */
function runLoad(address: string, flags: readonly string[]): Promise<Result> {
  const args = [
    '-addr',
    address,
    '-duration',
    DURATION,
    '-warmup',
    WARMUP,
    '-guard',
    '120s',
    ...flags,
  ];
  const child = spawn(join(BIN, 'client'), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((done, fail) => {
    child.once('close', (code) => {
      clearTimeout(killer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) {
        fail(new Error(`client ${args.join(' ')} printed no verdict (exit ${String(code)})`));
        return;
      }
      const verdict = JSON.parse(line) as { problems: string[]; extra?: Record<string, number> };
      const x = verdict.extra ?? {};
      if (verdict.problems.length > 0) {
        process.stderr.write(`  problems: ${verdict.problems.join('; ')}\n`);
      }
      done({
        msgsPerS: x['msgs_per_s'] ?? 0,
        p50Us: x['p50_us'] ?? 0,
        p99Us: x['p99_us'] ?? 0,
        msgs: x['msgs'] ?? 0,
        errors: x['errors'] ?? 0,
      });
    });
  });
}

/** Median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Per-round results folded into medians (errors are summed). */
function fold(results: readonly Result[]): Result {
  return {
    msgsPerS: median(results.map((r) => r.msgsPerS)),
    p50Us: median(results.map((r) => r.p50Us)),
    p99Us: median(results.map((r) => r.p99Us)),
    msgs: results.reduce((n, r) => n + r.msgs, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (us: number): string => fmt(us / 1000, 2);

async function main(): Promise<void> {
  for (const file of [join(BIN, 'server'), join(BIN, 'client'), OUR_SERVER]) {
    if (!existsSync(file)) throw new Error(`${file} is missing (run npm run bench:kitex)`);
  }
  const kitexServer = await startServer('Kitex server', join(BIN, 'server'), [
    '-addr',
    '127.0.0.1:0',
    '-events=false',
    '-exit-wait',
    '100ms',
    '-drain-log',
    '0s',
  ]);
  const ourServer = await startServer('our server', process.execPath, [OUR_SERVER]);
  const runs = new Map<string, { kitex: Result[]; ours: Result[] }>();
  try {
    // Interleaved rounds (Kitex first, then ours, per case) so that the noise of a shared
    // machine hits both sides alike; medians are reported.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of CASES) {
        const entry = runs.get(c.name) ?? { kitex: [], ours: [] };
        runs.set(c.name, entry);
        process.stderr.write(`round ${round}/${ROUNDS}: ${c.name}: Kitex server ...\n`);
        entry.kitex.push(await runLoad(kitexServer.address, c.flags));
        process.stderr.write(`round ${round}/${ROUNDS}: ${c.name}: our server ...\n`);
        entry.ours.push(await runLoad(ourServer.address, c.flags));
      }
    }
  } finally {
    await kitexServer.stop();
    await ourServer.stop();
  }
  const kitex = new Map([...runs].map(([name, r]) => [name, fold(r.kitex)]));
  const ours = new Map([...runs].map(([name, r]) => [name, fold(r.ours)]));

  const rows: string[][] = [['case', 'server', 'msgs/s', 'p50 ms', 'p99 ms', 'errors']];
  const verdicts: string[] = [];
  let allMet = true;
  for (const c of CASES) {
    const k = kitex.get(c.name);
    const o = ours.get(c.name);
    if (k === undefined || o === undefined) continue;
    rows.push([c.name, 'Kitex (Go)', fmt(k.msgsPerS), ms(k.p50Us), ms(k.p99Us), String(k.errors)]);
    rows.push(['', 'ours (TS)', fmt(o.msgsPerS), ms(o.p50Us), ms(o.p99Us), String(o.errors)]);
    const throughput = k.msgsPerS > 0 ? o.msgsPerS / k.msgsPerS : 0;
    const p99 = k.p99Us > 0 ? o.p99Us / k.p99Us : Infinity;
    const met = throughput >= 0.5 && p99 <= 2 && o.errors === 0;
    allMet &&= met;
    rows.push([
      '',
      'ours/Kitex',
      fmt(throughput, 2),
      fmt(o.p50Us / Math.max(1, k.p50Us), 2),
      fmt(p99, 2),
      '',
    ]);
    verdicts.push(
      `${c.name}: throughput ${fmt(throughput, 2)}x (target >= 0.5), p99 ${fmt(p99, 2)}x (target <= 2): ${met ? 'MET' : 'NOT MET'}`,
    );
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(
    `\nbench:kitex — Kitex v0.16.3 Go client load (mux pool, 1 connection); median of ${ROUNDS} interleaved runs of ${DURATION} (after ${WARMUP} warm-up); ${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(1) ?? '?'} at the end`,
  );
  console.log(line(rows[0] ?? []));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('');
  for (const v of verdicts) console.log(v);
  console.log(allMet ? 'all targets met' : 'some targets NOT met');
}

await main();
