// Thrift codec speed: encode and decode a ~1 KB struct with our codec and with Apache thrift's
// TBinaryProtocol (generator-style code), in the same run. `npm run bench:thrift`.
import { parseThriftIdl } from '../lib/thrift/parse-thrift-idl.js';
import { createStructCodec } from '../lib/thrift/struct-codec.js';
import { apacheDecode, apacheEncode, apacheMessage } from './thrift-apache-message.js';
import { BENCH_IDL, ourMessage } from './thrift-message.js';

const ROUNDS = 7;
const ROUND_MS = 300;

/** Seconds `fn` takes for `n` calls. */
function time(fn: () => unknown, n: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (fn() === undefined) sink++;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink === -1) process.stdout.write('');
  return seconds;
}

/** Calls that take about ROUND_MS, after warming `fn` up. */
function roundSize(fn: () => unknown): number {
  let n = 1000;
  while (time(fn, n) < ROUND_MS / 4000) n *= 2;
  return Math.max(1000, Math.round((n * (ROUND_MS / 1000)) / time(fn, n)));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Comparison {
  /** Median ops/s of ours and theirs. */
  readonly ours: number;
  readonly theirs: number;
  /** The median, lowest and highest of the per-round ratios ours/theirs. */
  readonly ratio: number;
  readonly minRatio: number;
  readonly maxRatio: number;
}

/**
 * Ops/s of `ours` and `theirs`, timed in alternating rounds so that load changes on the machine
 * hit both alike: the median of each, and the median and range of the per-round ratios.
 */
function compare(ours: () => unknown, theirs: () => unknown): Comparison {
  const nOurs = roundSize(ours);
  const nTheirs = roundSize(theirs);
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const mine = nOurs / time(ours, nOurs);
    const apache = nTheirs / time(theirs, nTheirs);
    a.push(mine);
    b.push(apache);
    ratios.push(mine / apache);
  }
  return {
    ours: median(a),
    theirs: median(b),
    ratio: median(ratios),
    minRatio: Math.min(...ratios),
    maxRatio: Math.max(...ratios),
  };
}

const schema = parseThriftIdl(BENCH_IDL).structs.get('BenchMessage')!;
const codec = createStructCodec<Record<string, unknown>>(schema);
const ours = ourMessage();
const theirs = apacheMessage();
const ourBytes = codec.encode(ours);
const apacheBytes = apacheEncode(theirs);
if (Buffer.compare(Buffer.from(ourBytes), apacheBytes) !== 0) {
  throw new Error('the two codecs disagree on the bytes of the bench message');
}

const rows = [
  {
    op: 'encode',
    ...compare(
      () => codec.encode(ours),
      () => apacheEncode(theirs),
    ),
  },
  {
    op: 'decode',
    ...compare(
      () => codec.decode(ourBytes),
      () => apacheDecode(apacheBytes),
    ),
  },
];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);
process.stdout.write(
  `\nThrift Binary struct, ${ourBytes.length} bytes (Node ${process.version}), ` +
    `${ROUNDS} interleaved rounds\n` +
    `${'op'.padEnd(8)}${'ours ops/s'.padStart(12)}${'apache ops/s'.padStart(14)}  ` +
    `median ratio (per-round range)\n`,
);
for (const row of rows) {
  process.stdout.write(
    `${row.op.padEnd(8)}${fmt(row.ours)}  ${fmt(row.theirs)}  ${row.ratio.toFixed(2)}x ` +
      `(${row.minRatio.toFixed(2)}-${row.maxRatio.toFixed(2)})\n`,
  );
}
