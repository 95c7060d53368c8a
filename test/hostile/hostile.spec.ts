// npm run test:hostile: the sample server as a real process, attacked from outside (issue 11)
// while a well-behaved client keeps calling it. Each attack is scaled down from what the server
// was measured against so that the suite runs in about a minute (budget: 3 minutes); every loop
// is bounded in count and time, and everything targets 127.0.0.1 only.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeFrame, encodeFrameHead } from '../../lib/protocol/frame-encoder.js';
import { FrameType } from '../../lib/protocol/frame-type.js';
import type { Frame } from '../../lib/protocol/frame.js';
import { IntHeaderKey } from '../../lib/protocol/int-header-key.js';
import { decodeApplicationExceptionMessage } from '../../lib/thrift/application-exception.js';
import { dataFrame, headerFrame, trailerFrame } from '../helpers/frames.js';
import { RawPeer } from '../helpers/raw-peer.js';
import {
  buildSampleServer,
  startSampleProcess,
  type SampleProcess,
} from '../helpers/sample-process.js';
import {
  binaryKeys,
  binaryValue,
  craftedHeader,
  destroyAll,
  eventually,
  GoodClient,
  openSocket,
  openSockets,
  requestBytes,
  rssMb,
  sleep,
  type TrackedSocket,
  type WindowStats,
} from './hostile-support.js';

const OUT_DIR = resolve(process.cwd(), '.tmp', 'hostile-sample-server');
// The sample server's read timeouts, shortened from 30 s / 60 s (TTSTREAM_*_TIMEOUT_MS).
const FIRST_FRAME_TIMEOUT_MS = 3000;
const FRAME_TIMEOUT_MS = 5000;
const SERVICE = 'TestService';

// The well-behaved client, during each attack and over the whole attack period: at least this
// share of calls succeeds, and the 99th percentile of latencies stays under P99_BOUND_MS
// (unloaded, p99 is a few ms; the worst attack, the resets, measured 0.5-0.7 s on the CI machine
// type). After the attacks, every call succeeds.
const MIN_SUCCESS = 0.95;
const P99_BOUND_MS = 2000;
// Calls started this long after an attack still count for it.
const AFTERMATH_MS = 1000;
// Calls started in the last CALL_SETTLE_MS of a window may not have finished: left out.
const CALL_SETTLE_MS = 500;
// Sockets the suite holds at once, on each side (the 1000 idle connections and a margin).
const FDS_NEEDED = 4096;

const NO_CALLS: WindowStats = { calls: 0, failed: 0, p50: 0, p99: 0, max: 0, errors: [] };

/** One row of the summary table. */
interface Row {
  readonly attack: string;
  readonly outcome: string;
  readonly seconds: number;
  readonly stats: WindowStats;
  readonly peakRssMb: number;
}

describe('hostile input and load against the sample server (a real process)', () => {
  let server: SampleProcess;
  let pid: number;
  let good: GoodClient;
  let baselineRssMb = 0;
  let finalRssMb = 0;
  let peakRssMb = 0;
  let attackPeakRssMb = 0;
  let sampler: NodeJS.Timeout | undefined;
  let attacksFrom = 0;
  let attacksTo = 0;
  const rows: Row[] = [];
  const started = performance.now();

  beforeAll(async () => {
    const fds = openFilesLimit();
    if (fds < FDS_NEEDED) {
      throw new Error(
        `the suite needs ulimit -n >= ${FDS_NEEDED} (it holds over 1000 sockets), got ${fds}`,
      );
    }
    const entry = buildSampleServer(OUT_DIR);
    server = await startSampleProcess(entry, {
      TTSTREAM_FIRST_FRAME_TIMEOUT_MS: String(FIRST_FRAME_TIMEOUT_MS),
      TTSTREAM_FRAME_TIMEOUT_MS: String(FRAME_TIMEOUT_MS),
    });
    if (server.child.pid === undefined) throw new Error('the sample server has no pid');
    pid = server.child.pid;
    good = new GoodClient(server.port);
    good.start();
    // Warm-up (JIT, Nest, the client's connections) before the baseline.
    await sleep(3000);
    baselineRssMb = rssMb(pid);
    sampler = setInterval(() => {
      try {
        const rss = rssMb(pid);
        peakRssMb = Math.max(peakRssMb, rss);
        attackPeakRssMb = Math.max(attackPeakRssMb, rss);
      } catch {
        // The process has exited (the tests report it).
      }
    }, 200);
    attacksFrom = performance.now();
  }, 120_000);

  afterAll(async () => {
    clearInterval(sampler);
    // Undefined when beforeAll failed.
    await (good as GoodClient | undefined)?.stop();
    const child = (server as SampleProcess | undefined)?.child;
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(OUT_DIR, { recursive: true, force: true });
    printSummary(rows, {
      baselineRssMb,
      peakRssMb,
      finalRssMb,
      overall: (good as GoodClient | undefined)?.window(attacksFrom, attacksTo) ?? NO_CALLS,
      seconds: (performance.now() - started) / 1000,
    });
  }, 30_000);

  /**
   * Runs one attack and records it. The server must still be running afterwards, and the
   * well-behaved client's calls started during the attack or in the second after it (what the
   * attack left behind) must have succeeded, fast enough.
   */
  async function attack(name: string, run: () => Promise<string>): Promise<void> {
    const from = performance.now();
    attackPeakRssMb = 0;
    const outcome = await run();
    const seconds = (performance.now() - from) / 1000;
    await sleep(AFTERMATH_MS);
    const stats = good.window(from, performance.now() - CALL_SETTLE_MS);
    rows.push({ attack: name, outcome, seconds, stats, peakRssMb: attackPeakRssMb });
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
    expect(stats.calls).toBeGreaterThan(10);
    expect(stats.calls - stats.failed).toBeGreaterThanOrEqual(MIN_SUCCESS * stats.calls);
    expect(stats.p99).toBeLessThan(P99_BOUND_MS);
  }

  it('1. garbage: random bytes and HTTP requests are closed at once, unanswered', async () => {
    await attack('garbage', async () => {
      const sockets: TrackedSocket[] = [];
      const sentAt = new Map<TrackedSocket, number>();
      for (let batch = 0; batch < 6; batch++) {
        const opened = await openSockets(server.port, 50);
        opened.forEach((s, i) => {
          const n = batch * 50 + i;
          s.socket.write(n % 10 === 9 ? httpRequest(n) : randomGarbage(n));
          sentAt.set(s, performance.now());
        });
        sockets.push(...opened);
      }
      const allClosed = await eventually(
        () => sockets.every((s) => s.closedAt !== undefined),
        10_000,
      );
      const slowest = Math.max(...sockets.map((s) => (s.closedAt ?? Infinity) - sentAt.get(s)!));
      await destroyAll(sockets);
      expect(allClosed).toBe(true);
      expect(sockets.filter((s) => !s.closedByPeer)).toHaveLength(0);
      expect(sockets.filter((s) => s.received > 0)).toHaveLength(0);
      // Closed for the bytes, well before the first-frame timeout would have closed them.
      expect(slowest).toBeLessThan(FIRST_FRAME_TIMEOUT_MS);
      const http = sockets.length / 10;
      return `${sockets.length} (${http} of them HTTP) closed by the server, none answered, slowest ${ms(slowest)}`;
    });
  }, 60_000);

  it('2. abrupt resets: 200 connections reset mid-stream (server streaming)', async () => {
    await attack('resets mid-stream', async () => {
      const request = Buffer.concat([
        encodeFrame(headerFrame(1, 'EchoServer', {}, SERVICE)),
        encodeFrame(dataFrame(1, 'EchoServer', requestBytes('reset me', 100_000))),
        encodeFrame(trailerFrame(1, 'EchoServer')),
      ]);
      let received = 0;
      let midStream = 0;
      // 25 at a time: streams already pumping delay the first bytes of new ones (about 20 ms
      // each on this machine), so larger batches measure that rather than the resets.
      for (let batch = 0; batch < 8; batch++) {
        const sockets = await openSockets(server.port, 25);
        await Promise.all(
          sockets.map(async (s) => {
            // Mid-stream: reset as soon as the server has sent a few KB (dozens of messages) of
            // the 100,000 it was asked for.
            const reset = (): void => {
              if (s.received < 4096 || s.socket.destroyed) return;
              midStream++;
              received += s.received;
              s.socket.resetAndDestroy();
            };
            s.socket.on('data', reset);
            s.socket.write(request);
            await eventually(() => s.socket.destroyed, 10_000);
          }),
        );
        await destroyAll(sockets);
      }
      expect(midStream).toBe(200);
      return `200 streams reset mid-stream (after ${Math.round(received / 200 / 1024)} KB each on average)`;
    });
  }, 60_000);

  it('3. 1000 simultaneous idle connections, one open stream each, held then closed', async () => {
    await attack('1000 idle connections', async () => {
      // A bidi Echo stream with one message: the echo proves the stream is open; then silence.
      const opening = Buffer.concat([
        encodeFrame(headerFrame(1, 'Echo', {}, SERVICE)),
        encodeFrame(dataFrame(1, 'Echo', requestBytes('idle', 0))),
      ]);
      const sockets: TrackedSocket[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const opened = await openSockets(server.port, 100);
        for (const s of opened) s.socket.write(opening);
        sockets.push(...opened);
      }
      const answered = await eventually(() => sockets.every((s) => s.received > 0), 10_000);
      const rssHeld = rssMb(pid);
      // Longer than the first-frame timeout: connections that completed a frame are not reaped.
      await sleep(FIRST_FRAME_TIMEOUT_MS + 1000);
      const closedEarly = sockets.filter((s) => s.closedAt !== undefined).length;
      await destroyAll(sockets);
      expect(answered).toBe(true);
      expect(closedEarly).toBe(0);
      return (
        `1000 streams answered, held ${(FIRST_FRAME_TIMEOUT_MS + 1000) / 1000} s, none closed ` +
        `by the server; RSS ${Math.round(rssHeld)} MB`
      );
    });
  }, 60_000);

  it('4. header frames: too many keys or bytes close the connection; big binary values are served', async () => {
    await attack('huge headers', async () => {
      const empty = Buffer.alloc(0);
      // 43,000 binary keys (258 KB): over maxHeaderKeys (4096) and maxHeaderBytes (128 KiB).
      const manyKeys = craftedHeader(
        1,
        'EchoServer',
        binaryKeys(43_000).map((k) => [k, empty]),
      );
      // 5,000 binary keys in 30 KB: over maxHeaderKeys only.
      const overKeys = craftedHeader(
        1,
        'EchoServer',
        binaryKeys(5000).map((k) => [k, empty]),
      );
      // 40 binary values of 6 KB (240 KB): over maxHeaderBytes only.
      const overBytes = craftedHeader(1, 'EchoServer', binaryPairs(40, 6 * 1024));
      const refused = await Promise.all(
        [manyKeys, manyKeys, manyKeys, overKeys, overKeys, overBytes, overBytes].map(
          async (frame) => {
            const s = await openSocket(server.port);
            const sent = performance.now();
            s.socket.write(frame);
            await eventually(() => s.closedAt !== undefined, 10_000);
            const closedIn = (s.closedAt ?? Infinity) - sent;
            s.socket.destroy();
            return { closedIn, byPeer: s.closedByPeer, received: s.received };
          },
        ),
      );
      for (const r of refused) {
        expect(r.byPeer).toBe(true);
        expect(r.closedIn).toBeLessThan(FIRST_FRAME_TIMEOUT_MS);
      }

      // HEADERs with 20 binary values of 6 KB (about 120 KB, under the caps), 20 connections at
      // once, 5 rounds (12 MB of binary header strings to decode): the streams are served.
      let slowestRound = 0;
      for (let round = 0; round < 5; round++) {
        const peers = await Promise.all(
          Array.from({ length: 20 }, () => RawPeer.connect(server.port)),
        );
        const sent = performance.now();
        for (const [i, peer] of peers.entries()) {
          peer.sendBytes(craftedHeader(1, 'EchoServer', binaryPairs(20, 6 * 1024, round * 20 + i)));
          peer.send(
            dataFrame(1, 'EchoServer', requestBytes('binary headers', 3)),
            trailerFrame(1, 'EchoServer'),
          );
        }
        const served = await eventually(
          () => peers.every((p) => p.frames.some((f) => f.type === FrameType.Trailer)),
          10_000,
        );
        slowestRound = Math.max(slowestRound, performance.now() - sent);
        const stillOpen = peers.every((p) => !p.closed);
        await Promise.all(peers.map((p) => p.close()));
        expect(served).toBe(true);
        expect(stillOpen).toBe(true);
        for (const peer of peers) {
          expect(peer.frames.filter((f) => f.type === FrameType.Data)).toHaveLength(3);
          const trailer = peer.frames.find((f) => f.type === FrameType.Trailer);
          expect(trailer?.payload).toHaveLength(0);
          expect(trailer?.strHeaders.get('x-sent')).toBe('3');
        }
      }
      return (
        `7 over-cap HEADERs (43k keys, 5k keys, 240 KB) closed in <= ${ms(Math.max(...refused.map((r) => r.closedIn)))}; ` +
        `100 x 120 KB binary served, <= ${ms(slowestRound)} per 20`
      );
    });
  }, 60_000);

  it('5. stream flood: 12,000 HEADERs on one connection, the excess refused', async () => {
    await attack('stream flood', async () => {
      const peer = await RawPeer.connect(server.port);
      const total = 12_000;
      for (let from = 1; from <= total; from += 1000) {
        const frames = Array.from({ length: 1000 }, (_, i) =>
          headerFrame(from + i, 'EchoServer', {}, SERVICE),
        );
        peer.send(...frames);
        await sleep(10);
      }
      const refusals = (): Frame[] =>
        peer.frames.filter((f) => f.type === FrameType.Trailer && f.payload.length > 0);
      const done = await eventually(() => refusals().length >= total - 10_000, 30_000);
      const refused = refusals();
      const messages = new Set(
        refused.map((f) => decodeApplicationExceptionMessage(f.payload).message),
      );
      const ids = refused.map((f) => f.streamId).sort((a, b) => a - b);
      const rssHeld = rssMb(pid);
      await peer.close();
      expect(done).toBe(true);
      expect(refused).toHaveLength(2000);
      expect([...messages]).toEqual(['too many concurrent streams (limit 10000)']);
      expect(ids[0]).toBe(10_001);
      expect(ids.at(-1)).toBe(12_000);
      // Each refused stream got its HEADER too.
      const headers = new Set(
        peer.frames.filter((f) => f.type === FrameType.Header).map((f) => f.streamId),
      );
      expect(ids.every((id) => headers.has(id))).toBe(true);

      // Once the flooding connection is gone, the well-behaved client is served as before.
      const recoveryFrom = performance.now();
      await sleep(2000);
      const recovery = good.window(recoveryFrom, performance.now() - 1000);
      expect(recovery.failed).toBe(0);
      expect(recovery.p99).toBeLessThan(P99_BOUND_MS);
      return (
        `2000 of 12000 refused (${[...messages].join('')}); RSS ${Math.round(rssHeld)} MB ` +
        `with 10000 open; after close: p99 ${ms(recovery.p99)}`
      );
    });
  }, 90_000);

  it('6. a 70 MiB DATA frame resets its own stream (12004); the other stream goes on', async () => {
    await attack('70 MiB frame', async () => {
      const peer = await RawPeer.connect(server.port);
      const echo = (n: number, text: string): Uint8Array => requestBytes(`${text}-${n}`, 0);
      peer.send(headerFrame(1, 'Echo', {}, SERVICE), dataFrame(1, 'Echo', echo(1, 'healthy')));
      expect(await eventually(() => dataOf(peer, 1).length === 1, 10_000)).toBe(true);

      peer.send(headerFrame(2, 'Echo', {}, SERVICE));
      const big = Buffer.alloc(70 * 1024 * 1024);
      peer.sendBytes(encodeFrameHead(dataFrame(2, 'Echo', big)));
      peer.sendBytes(big);
      const rstArrived = await eventually(
        () => peer.framesOf(2).some((f) => f.type === FrameType.Rst),
        30_000,
      );
      const rst = peer.framesOf(2).find((f) => f.type === FrameType.Rst);

      // The healthy stream, after the oversize frame on the same connection.
      peer.send(dataFrame(1, 'Echo', echo(2, 'healthy')), trailerFrame(1, 'Echo'));
      const finished = await eventually(
        () => peer.framesOf(1).some((f) => f.type === FrameType.Trailer),
        10_000,
      );
      const stillOpen = !peer.closed;
      const responses = dataOf(peer, 1);
      const trailer = peer.framesOf(1).find((f) => f.type === FrameType.Trailer);
      await peer.close();

      expect(rstArrived).toBe(true);
      const exception = decodeApplicationExceptionMessage(rst!.payload);
      expect(exception.typeId).toBe(12004);
      expect(exception.message).toContain('exceeds maxFrameBytes');
      expect(finished).toBe(true);
      expect(stillOpen).toBe(true);
      expect(responses).toHaveLength(2);
      expect(trailer?.payload).toHaveLength(0);
      expect(trailer?.strHeaders.get('x-sent')).toBe('2');
      return `RST ${exception.typeId} on the 70 MiB stream only; the other stream finished (x-sent=2)`;
    });
  }, 90_000);

  it('7. slow senders: silent connections and byte-a-second tricklers are closed by the read timeouts', async () => {
    await attack('slow senders', async () => {
      const silent = await openSockets(server.port, 100);
      const silentFrom = performance.now();
      const tricklers = await openSockets(server.port, 50);
      // A complete first frame, then a DATA frame one byte a second (at most 15 bytes).
      const header = encodeFrame(headerFrame(1, 'Echo', {}, SERVICE));
      const data = encodeFrame(dataFrame(1, 'Echo', requestBytes('trickled', 0)));
      for (const s of tricklers) s.socket.write(header);
      await sleep(200);
      const trickleFrom = performance.now();
      const timers = tricklers.map((s) => {
        let at = 0;
        const write = (): void => {
          if (s.closedAt !== undefined || at >= 15) {
            clearInterval(timer);
            return;
          }
          s.socket.write(data.subarray(at, at + 1));
          at++;
        };
        const timer = setInterval(write, 1000);
        write();
        return timer;
      });
      const bound = FRAME_TIMEOUT_MS + 4000;
      const allClosed = await eventually(
        () => [...silent, ...tricklers].every((s) => s.closedAt !== undefined),
        bound,
      );
      timers.forEach((t) => {
        clearInterval(t);
      });
      const silentTimes = silent.map((s) => (s.closedAt ?? Infinity) - silentFrom);
      const trickleTimes = tricklers.map((s) => (s.closedAt ?? Infinity) - trickleFrom);
      const silentByPeer = silent.every((s) => s.closedByPeer);
      const tricklersByPeer = tricklers.every((s) => s.closedByPeer);
      await destroyAll([...silent, ...tricklers]);

      expect(allClosed).toBe(true);
      expect(silentByPeer).toBe(true);
      expect(tricklersByPeer).toBe(true);
      // Opening the sockets took some time before silentFrom: allow it on the early side.
      expect(Math.min(...silentTimes)).toBeGreaterThan(FIRST_FRAME_TIMEOUT_MS - 1000);
      expect(Math.max(...silentTimes)).toBeLessThan(FIRST_FRAME_TIMEOUT_MS + 3000);
      expect(Math.min(...trickleTimes)).toBeGreaterThan(FRAME_TIMEOUT_MS - 500);
      expect(Math.max(...trickleTimes)).toBeLessThan(FRAME_TIMEOUT_MS + 3000);
      return (
        `100 silent closed after ${ms(Math.min(...silentTimes))}-${ms(Math.max(...silentTimes))}, ` +
        `50 tricklers after ${ms(Math.min(...trickleTimes))}-${ms(Math.max(...trickleTimes))}`
      );
    });
  }, 60_000);

  it('8. RPCTimeout (int key 12) of 30 days, 2^31 ms and 2^63 ms: the streams do not end early', async () => {
    await attack('long timeouts', async () => {
      const values = ['2592000000', '2147483648', '9223372036854775807'];
      const peers = await Promise.all(values.map(() => RawPeer.connect(server.port)));
      const streams = 10;
      for (const [i, peer] of peers.entries()) {
        for (let id = 1; id <= streams; id++) {
          peer.send(
            {
              ...headerFrame(id, 'Echo', {}, SERVICE),
              intHeaders: new Map([[IntHeaderKey.RPCTimeout, values[i]!]]),
            },
            dataFrame(id, 'Echo', requestBytes(`first-${id}`, 0)),
          );
        }
      }
      const allData = (n: number): boolean =>
        peers.every((p) => p.frames.filter((f) => f.type === FrameType.Data).length >= n * streams);
      expect(await eventually(() => allData(1), 10_000)).toBe(true);
      // Our timers fired at once past 2^31-1 ms (about 0.2 s after the HEADER); wait well past it.
      await sleep(2000);
      const endedEarly = peers.flatMap((p) =>
        p.frames.filter((f) => f.type === FrameType.Rst || f.type === FrameType.Trailer),
      );
      for (const peer of peers) {
        for (let id = 1; id <= streams; id++) {
          peer.send(
            dataFrame(id, 'Echo', requestBytes(`second-${id}`, 0)),
            trailerFrame(id, 'Echo'),
          );
        }
      }
      const finished = await eventually(
        () =>
          peers.every(
            (p) => p.frames.filter((f) => f.type === FrameType.Trailer).length === streams,
          ),
        10_000,
      );
      const trailers = peers.flatMap((p) => p.frames.filter((f) => f.type === FrameType.Trailer));
      await Promise.all(peers.map((p) => p.close()));

      expect(endedEarly).toHaveLength(0);
      expect(finished).toBe(true);
      expect(allData(2)).toBe(true);
      expect(trailers.every((t) => t.payload.length === 0)).toBe(true);
      expect(server.output()).not.toContain('TimeoutOverflowWarning');
      return `${values.length * streams} streams alive after 2 s, then ended normally; no TimeoutOverflowWarning`;
    });
  }, 60_000);

  it('9. consumers that never read: EchoServer with a huge count, sockets paused, then closed', async () => {
    await attack('never-reading consumers', async () => {
      const consumers = await openSockets(server.port, 10);
      const rssBefore = rssMb(pid);
      for (const s of consumers) {
        s.socket.once('data', () => {
          s.socket.pause();
        });
        s.socket.write(
          Buffer.concat([
            encodeFrame(headerFrame(1, 'EchoServer', {}, SERVICE)),
            encodeFrame(dataFrame(1, 'EchoServer', requestBytes('never read', 100_000_000))),
            encodeFrame(trailerFrame(1, 'EchoServer')),
          ]),
        );
      }
      const started = await eventually(() => consumers.every((s) => s.received > 0), 10_000);
      await sleep(4000);
      const rssPaused = rssMb(pid);
      const received = consumers.reduce((n, s) => n + s.received, 0);
      await destroyAll(consumers);
      expect(started).toBe(true);
      // The handlers are pulled one message per completed write: a reader that stops holds the
      // server to what the socket buffers take, not to 100 million messages.
      expect(rssPaused - rssBefore).toBeLessThan(100);
      return (
        `10 paused 4 s: RSS ${rssPaused - rssBefore >= 0 ? '+' : ''}${Math.round(rssPaused - rssBefore)} MB, ` +
        `${(received / 1024 / 1024).toFixed(1)} MiB read before pausing`
      );
    });
  }, 60_000);

  it('after the attacks: every call succeeds, latency and memory are back near the baseline', async () => {
    attacksTo = performance.now();
    // A short settle: closed connections' streams end, handlers finish, the heap shrinks.
    await sleep(3000);
    const settleFrom = performance.now();
    await sleep(3000);
    finalRssMb = rssMb(pid);
    const after = good.window(settleFrom, performance.now() - 500);
    const overall = good.window(attacksFrom, attacksTo);
    rows.push({
      attack: 'after (3 s settle)',
      outcome: `RSS ${Math.round(finalRssMb)} MB (baseline ${Math.round(baselineRssMb)} MB)`,
      seconds: 3,
      stats: after,
      peakRssMb: finalRssMb,
    });

    expect(after.calls).toBeGreaterThan(50);
    expect(after.failed).toBe(0);
    expect(after.p99).toBeLessThan(P99_BOUND_MS);
    expect(overall.calls - overall.failed).toBeGreaterThanOrEqual(MIN_SUCCESS * overall.calls);
    expect(overall.p99).toBeLessThan(P99_BOUND_MS);
    // RSS does not fall back to the baseline: V8 keeps most of the heap it grew for the 10,000
    // flooded streams (a second and third flood do not grow it further). Measured on the CI
    // machine type over 11 runs: baseline 93-101 MB, after the settle +52 to +152 MB. The bound
    // leaves room for that noise: it catches memory that stays with the attacks in bulk (the
    // flood's streams never freed, hundreds of MB of queued messages; the unbounded flood this
    // suite was written after held 2.5 GB), not a small leak, which S-1 to S-6 look for.
    expect(finalRssMb).toBeLessThan(baselineRssMb + 320);
  }, 30_000);

  it('SIGTERM: the server shuts down gracefully and exits 0', async () => {
    clearInterval(sampler);
    await good.stop();
    expect(server.child.exitCode).toBeNull();
    server.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      server.exited,
      new Promise<string>((resolveLate) => {
        timer = setTimeout(() => {
          resolveLate('still running after 15 s');
        }, 15_000);
      }),
    ]);
    clearTimeout(timer);
    expect(code).toBe(0);
  }, 30_000);
});

/**
 * The limit on open files of this process and of the server it spawns (Node raises its soft
 * limit to the hard one at startup, so this is in effect `ulimit -Hn`).
 */
function openFilesLimit(): number {
  const text = execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Infinity : Number(text);
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)} ms` : 'never';
}

function dataOf(peer: RawPeer, streamId: number): Frame[] {
  return peer.framesOf(streamId).filter((f) => f.type === FrameType.Data);
}

/** Bytes that are no frame: pseudo-random (seeded by `n`), never a TTHeader magic at 4-5. */
function randomGarbage(n: number): Buffer {
  const length = 64 + ((n * 977) % 4000);
  const out = Buffer.alloc(length);
  let x = (0x9e3779b9 ^ (n * 0x85ebca6b)) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[4] = 0x47;
  return out;
}

function httpRequest(n: number): string {
  return `GET /probe-${n} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`;
}

/** `count` string pairs of a short key and a `bytes`-long binary value. */
function binaryPairs(count: number, bytes: number, seed = 0): [Buffer, Buffer][] {
  return Array.from({ length: count }, (_, i): [Buffer, Buffer] => [
    Buffer.from(`bin-${i}`),
    binaryValue(bytes, seed * 64 + i),
  ]);
}

function printSummary(
  rows: readonly Row[],
  totals: {
    baselineRssMb: number;
    peakRssMb: number;
    finalRssMb: number;
    overall: WindowStats;
    seconds: number;
  },
): void {
  const header = ['attack', 'outcome', 's', 'calls', 'failed', 'p50', 'p99', 'max', 'peak RSS'];
  const table = rows.map((r) => [
    r.attack,
    r.outcome,
    r.seconds.toFixed(1),
    String(r.stats.calls),
    String(r.stats.failed),
    ms(r.stats.p50),
    ms(r.stats.p99),
    ms(r.stats.max),
    `${Math.round(r.peakRssMb)} MB`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  const { overall } = totals;
  const errors = rows.flatMap((r) => r.stats.errors.map((e) => `  ${r.attack}: ${e}`));
  process.stdout.write(
    [
      '',
      'hostile input against the sample server: the well-behaved client during each attack',
      line(header),
      widths.map((w) => '-'.repeat(w)).join('-|-'),
      ...table.map(line),
      '',
      `during the attacks: ${overall.calls} calls, ${overall.failed} failed, ` +
        `p50 ${ms(overall.p50)}, p99 ${ms(overall.p99)}, max ${ms(overall.max)}`,
      `server RSS: baseline ${Math.round(totals.baselineRssMb)} MB, peak ` +
        `${Math.round(totals.peakRssMb)} MB, after ${Math.round(totals.finalRssMb)} MB`,
      ...(errors.length > 0 ? ['failed calls:', ...errors] : []),
      `suite: ${totals.seconds.toFixed(1)} s`,
      '',
    ].join('\n'),
  );
}
