// Header decoding cost, ours next to Kitex's (issue 11): the same HEADER frames decoded by our
// FrameDecoder and by Kitex v0.16.3's ttstream.DecodeFrame (test/interop/kitex-peer/cmd/
// headerbench), printed side by side. Frames: 1k / 10k / 43k short text keys, 43k binary
// (non-UTF-8) keys, and a few binary values of several KB. Run: npm run bench:headers.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { FrameDecoder } from '../lib/protocol/frame-decoder.js';

const HEADERBENCH = resolve('test/interop/kitex-peer/bin/headerbench');

/** A HEADER frame with `pairs` string pairs made by `pair(i)`; the header info stays < 256 KiB. */
function headerFrame(pairs: number, pair: (i: number) => [number[], number[]]): Uint8Array {
  const info: number[] = [];
  const u16 = (v: number) => info.push((v >> 8) & 255, v & 255);
  const bytes = (b: number[]) => {
    u16(b.length);
    for (const x of b) info.push(x);
  };
  info.push(0x10, 0); // protocol id (Thrift struct), no transforms
  info.push(0x10); // int key/values: frame type 2 (HEADER), method
  u16(2);
  u16(27);
  bytes([0x32]);
  u16(9);
  bytes([...Buffer.from('Echo')]);
  info.push(0x01);
  u16(pairs);
  for (let i = 0; i < pairs; i++) {
    const [k, v] = pair(i);
    bytes(k);
    bytes(v);
  }
  while (info.length % 4 !== 0) info.push(0);
  const fixed = [
    0x10,
    0x00,
    0x00,
    0x02,
    0,
    0,
    0,
    1,
    (info.length / 4) >> 8,
    (info.length / 4) & 255,
  ];
  const length = fixed.length + info.length;
  return Uint8Array.from([
    length >>> 24,
    (length >> 16) & 255,
    (length >> 8) & 255,
    length & 255,
    ...fixed,
    ...info,
  ]);
}

const text = (i: number): number[] => [...Buffer.from(`k${i.toString(36)}`)];
/** Two bytes that are not UTF-8 (a lone continuation byte first). */
const binaryKey = (i: number): number[] => [0x80 | ((i >> 8) & 0x3f), i & 255, 0xff];
const binaryValue = (i: number, size: number): number[] =>
  Array.from({ length: size }, (_, j) => (j % 7 === 0 ? 0xff : (i + j) & 255));

const cases: { name: string; frame: Uint8Array; iterations: number }[] = [
  { name: '1k text keys', frame: headerFrame(1000, (i) => [text(i), [0x76]]), iterations: 400 },
  { name: '10k text keys', frame: headerFrame(10_000, (i) => [text(i), [0x76]]), iterations: 40 },
  {
    name: '43k text keys',
    frame: headerFrame(43_000, (i) => [text(i).slice(0, 2), []]),
    iterations: 10,
  },
  {
    name: '43k binary keys',
    frame: headerFrame(43_000, (i) => [binaryKey(i).slice(0, 2), []]),
    iterations: 10,
  },
  {
    name: '40 binary values of 6 KB',
    frame: headerFrame(40, (i) => [text(i), binaryValue(i, 6000)]),
    iterations: 100,
  },
];

/** Our decode time per frame (best and median of five rounds), and the keys decoded. */
function ours(
  frame: Uint8Array,
  iterations: number,
): { best: number; median: number; keys: number } {
  const unlimited = { maxFrameBytes: 64 << 20, maxHeaderKeys: 1 << 20, maxHeaderBytes: 1 << 20 };
  const keys = new FrameDecoder(unlimited).push(frame)[0]?.strHeaders.size ?? 0;
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) new FrameDecoder(unlimited).push(frame);
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  rounds.sort((a, b) => a - b);
  return { best: rounds[0] ?? 0, median: rounds[2] ?? 0, keys };
}

interface GoResult {
  name: string;
  bestNsPerOp: number;
  medianNsPerOp: number;
  keys: number;
  error?: string;
}

function kitex(): Map<string, GoResult> {
  const input = cases
    .map((c) =>
      JSON.stringify({
        name: c.name,
        hex: Buffer.from(c.frame).toString('hex'),
        iterations: c.iterations,
      }),
    )
    .join('\n');
  const run = spawnSync(HEADERBENCH, [], {
    input: `${input}\n`,
    maxBuffer: 1 << 20,
    timeout: 300_000,
  });
  if (run.status !== 0)
    throw new Error(
      `headerbench failed: ${String(run.stderr)} (run npm run bench:headers, which builds it)`,
    );
  const results = String(run.stdout)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as GoResult);
  return new Map(results.map((r) => [r.name, r]));
}

const ms = (ns: number) => (ns / 1e6).toFixed(3);
const go = kitex();
console.log(
  `\nHEADER frame decoding (Node ${process.version}; Kitex v0.16.3 ttstream.DecodeFrame)`,
);
console.log(
  'case                        bytes    keys   ours ms (best/median)   kitex ms (best/median)   ours/kitex (median)',
);
for (const c of cases) {
  const mine = ours(c.frame, c.iterations);
  const theirs = go.get(c.name);
  if (theirs === undefined || theirs.error !== undefined) {
    console.log(`${c.name}: kitex error ${theirs?.error ?? 'no result'}`);
    continue;
  }
  console.log(
    `${c.name.padEnd(26)} ${String(c.frame.length).padStart(7)} ${String(mine.keys).padStart(7)}   ` +
      `${ms(mine.best).padStart(8)} / ${ms(mine.median).padEnd(8)}      ${ms(theirs.bestNsPerOp).padStart(8)} / ${ms(theirs.medianNsPerOp).padEnd(8)}      ${(mine.median / theirs.medianNsPerOp).toFixed(2)}x`,
  );
}
