// S-2 (test matrix §4.4): stream churn must not leak. Rounds of 10,000 streams mixing every
// outcome; after each round the stream maps are empty, timers/handles are back to baseline, no
// MaxListenersExceededWarning was emitted, stream objects are garbage-collected, and the
// settled heap stays flat across rounds.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApplicationException,
  BizStatusError,
  TTStreamError,
  TTStreamErrorCode,
} from '../../lib/errors/index.js';
import type { TcpAddress } from '../../lib/transport/address.js';
import { TTStreamClientTransport } from '../../lib/transport/client-transport.js';
import type { ClientStream } from '../../lib/transport/client-stream.js';
import type { ServerStream } from '../../lib/transport/server-stream.js';
import { TTStreamServerTransport } from '../../lib/transport/server-transport.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import {
  getGc,
  leakableResources,
  runLimited,
  settleHeap,
  type Tagged,
  taggedCodec,
  waitUntil,
  watchWarnings,
} from './scale-support.js';

const SERVICE = 'ChurnService';
const STREAMS_PER_ROUND = 10_000;
/** Streams in flight at once. */
const CONCURRENCY = 1_000;
/** Of each round's streams, this many run on a separate connection that is dropped. */
const DROPPED_PER_ROUND = 500;
const WARMUP_ROUNDS = 1;
const MEASURED_ROUNDS = 3;
const SERVER_RECV_MAX = 4;

type Outcome = 'ok' | 'biz' | 'app' | 'cancel' | 'signal' | 'timeout' | 'early' | 'rst';
const OUTCOMES: readonly Outcome[] = [
  'ok',
  'biz',
  'app',
  'cancel',
  'signal',
  'timeout',
  'early',
  'rst',
];

/** Waits for `signal` to abort (or resolves at once if it has). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

function method(name: string): {
  service: string;
  method: string;
  requestCodec: typeof taggedCodec;
  responseCodec: typeof taggedCodec;
} {
  return { service: SERVICE, method: name, requestCodec: taggedCodec, responseCodec: taggedCodec };
}

/** What the client saw: `true` for success, otherwise the terminal error. */
async function settle(stream: ClientStream<Tagged, Tagged>): Promise<unknown> {
  try {
    await stream.done;
    return true;
  } catch (error) {
    return error;
  }
}

describe('S-2 stream churn leaves nothing behind', () => {
  let server: TTStreamServerTransport;
  let client: TTStreamClientTransport;
  let address: TcpAddress;
  const created = { client: 0, server: 0 };
  const collected = { client: 0, server: 0 };
  const registry = new FinalizationRegistry<'client' | 'server'>((side) => {
    collected[side]++;
  });

  beforeAll(async () => {
    server = new TTStreamServerTransport({
      gracePeriodMs: 1000,
      recvBuffer: { maxMessages: SERVER_RECV_MAX },
    });
    const track = (stream: ServerStream<Tagged, Tagged>): void => {
      created.server++;
      registry.register(stream, 'server');
    };
    server.register(SERVICE, 'Echo', {
      mode: 'bidirectional',
      requestCodec: taggedCodec,
      responseCodec: taggedCodec,
      handler: async (stream) => {
        track(stream);
        for await (const message of stream) await stream.send(message);
      },
    });
    server.register(SERVICE, 'Biz', {
      mode: 'bidirectional',
      requestCodec: taggedCodec,
      responseCodec: taggedCodec,
      handler: async (stream) => {
        track(stream);
        await stream.recv();
        throw new BizStatusError(404, 'not found');
      },
    });
    server.register(SERVICE, 'App', {
      mode: 'bidirectional',
      requestCodec: taggedCodec,
      responseCodec: taggedCodec,
      handler: async (stream) => {
        track(stream);
        await stream.recv();
        throw new Error('boom');
      },
    });
    server.register(SERVICE, 'Early', {
      mode: 'bidirectional',
      requestCodec: taggedCodec,
      responseCodec: taggedCodec,
      handler: (stream) => {
        track(stream);
        return Promise.resolve();
      },
    });
    // Never reads and never answers: held until the client's RST, the deadline, the receive
    // buffer overflow (RST 12011) or the connection drop.
    server.register(SERVICE, 'Hold', {
      mode: 'bidirectional',
      requestCodec: taggedCodec,
      responseCodec: taggedCodec,
      handler: async (stream) => {
        track(stream);
        await aborted(stream.signal);
      },
    });
    address = (await server.listen({ host: '127.0.0.1', port: 0 })) as TcpAddress;
    client = new TTStreamClientTransport(address, {
      pool: 'mux',
      poolSize: 1,
      dialTimeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  /** Opens a stream on the main client and tracks its collection. */
  function open(
    name: string,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): ClientStream<Tagged, Tagged> {
    const stream = client.openStream(method(name), options);
    created.client++;
    registry.register(stream, 'client');
    return stream;
  }

  /** One stream of `outcome`; throws when the client did not observe what it should. */
  async function runOne(index: number, outcome: Outcome): Promise<void> {
    let stream: ClientStream<Tagged, Tagged>;
    const message: Tagged = { streamIndex: index, seq: 0 };
    switch (outcome) {
      case 'ok': {
        stream = open('Echo');
        await stream.send(message);
        const reply = await stream.recv();
        expectEqual(reply.done !== true && reply.value.streamIndex === index, true, 'echo');
        await stream.closeSend();
        expectEqual((await stream.recv()).done, true, 'EOF');
        break;
      }
      case 'biz':
      case 'app':
        stream = open(outcome === 'biz' ? 'Biz' : 'App');
        await stream.send(message);
        break;
      case 'cancel': {
        stream = open('Echo');
        await stream.send(message);
        await stream.recv();
        stream.cancel();
        break;
      }
      case 'signal': {
        const controller = new AbortController();
        stream = open('Hold', { signal: controller.signal });
        await stream.send(message);
        controller.abort();
        break;
      }
      case 'timeout':
        stream = open('Hold', { timeoutMs: 30 });
        // On a loaded machine the deadline may pass before the send is flushed.
        await stream.send(message).catch(() => undefined);
        break;
      case 'early':
        stream = open('Early');
        expectEqual((await stream.recv()).done, true, 'early EOF');
        break;
      case 'rst': {
        stream = open('Hold');
        for (let seq = 0; seq <= SERVER_RECV_MAX && !stream.isEnded; seq++) {
          await stream.send({ streamIndex: index, seq }).catch(() => undefined);
        }
        break;
      }
    }
    const result = await settle(stream);
    checkOutcome(outcome, result);
  }

  function expectEqual(actual: unknown, expected: unknown, what: string): void {
    if (actual !== expected)
      throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }

  function checkOutcome(outcome: Outcome, result: unknown): void {
    const code = result instanceof TTStreamError ? result.kind : undefined;
    switch (outcome) {
      case 'ok':
      case 'early':
        expectEqual(result, true, outcome);
        return;
      case 'biz':
        expectEqual(
          result instanceof BizStatusError && result.bizStatusCode === 404,
          true,
          'biz error 404',
        );
        return;
      case 'app':
        expectEqual(result instanceof ApplicationException, true, 'application exception');
        return;
      case 'cancel':
      case 'signal':
        expectEqual(code, TTStreamErrorCode.BizCancel, outcome);
        return;
      case 'timeout':
        expectEqual(code, TTStreamErrorCode.StreamTimeout, 'timeout');
        return;
      case 'rst':
        expectEqual(
          code === TTStreamErrorCode.CanceledByDownstream &&
            (result as TTStreamError).message.includes('recv buffer overflow'),
          true,
          `rst (${String(result)})`,
        );
        return;
    }
  }

  /** Streams on a separate connection (through a proxy) that is cut while they are open. */
  async function dropConnection(round: number): Promise<void> {
    const proxy = await FaultProxy.start(address.port);
    const doomed = new TTStreamClientTransport(
      { host: '127.0.0.1', port: proxy.port },
      { pool: 'mux', poolSize: 1, dialTimeoutMs: 10_000 },
    );
    try {
      const before = server.stats().streams;
      const streams: ClientStream<Tagged, Tagged>[] = [];
      for (let i = 0; i < DROPPED_PER_ROUND; i++) {
        const stream = doomed.openStream(method('Hold'));
        created.client++;
        registry.register(stream, 'client');
        streams.push(stream);
      }
      await Promise.all(streams.map((s, i) => s.send({ streamIndex: round * 1e6 + i, seq: 0 })));
      await waitUntil(
        () => server.stats().streams >= before + DROPPED_PER_ROUND,
        () => `server has ${server.stats().streams} streams before the drop`,
      );
      proxy.cut('rst');
      const results = await Promise.all(streams.map(settle));
      const codes = new Set(results.map((r) => (r instanceof TTStreamError ? r.kind : String(r))));
      expect([...codes]).toEqual([TTStreamErrorCode.TransportClosing]);
    } finally {
      await doomed.close();
      await proxy.close();
    }
  }

  async function runRound(round: number): Promise<void> {
    const failures: string[] = [];
    const dropped = dropConnection(round);
    await runLimited(STREAMS_PER_ROUND - DROPPED_PER_ROUND, CONCURRENCY, async (i) => {
      const outcome = OUTCOMES[i % OUTCOMES.length] as Outcome;
      try {
        await runOne(i, outcome);
      } catch (error) {
        if (failures.length < 5) failures.push(`${outcome} #${i}: ${String(error)}`);
      }
    });
    await dropped;
    expect(failures).toEqual([]);
  }

  it(`${WARMUP_ROUNDS + MEASURED_ROUNDS} rounds of ${STREAMS_PER_ROUND} mixed streams: maps empty, resources and heap flat, no listener warnings`, async () => {
    const gc = getGc();
    const warnings = watchWarnings();
    const heaps: number[] = [];
    let baseline: Record<string, number> | undefined;
    try {
      for (let round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        await runRound(round);
        // The stream maps are empty and every handler has returned.
        await waitUntil(
          () =>
            server.stats().streams === 0 &&
            server.stats().handlers === 0 &&
            client.stats().streams === 0,
          () =>
            `round ${round}: server ${JSON.stringify(server.stats())}, client ${JSON.stringify(client.stats())}`,
        );
        expect(server.stats().connections).toBe(1);
        expect(client.stats().connections).toBe(1);
        // Timers and handles return to what they were after the warm-up.
        await waitUntil(
          () => baseline === undefined || sameCounts(leakableResources(), baseline),
          () =>
            `round ${round}: resources ${JSON.stringify(leakableResources())} vs ${JSON.stringify(baseline)}`,
        );
        const heap = await settleHeap(gc);
        if (round === WARMUP_ROUNDS - 1) baseline = leakableResources();
        if (round >= WARMUP_ROUNDS) heaps.push(heap);
        if (process.env.SCALE_DEBUG !== undefined) {
          process.stdout.write(
            `S-2 round ${round}: heap ${(heap / 1048576).toFixed(1)} MiB, resources ${JSON.stringify(leakableResources())}, ` +
              `collected ${JSON.stringify(collected)} of ${JSON.stringify(created)}\n`,
          );
        }
        // Stream objects of finished rounds are collected (finalizers run after a GC).
        await waitUntil(
          () => {
            gc();
            return (
              created.client - collected.client <= 50 && created.server - collected.server <= 50
            );
          },
          () =>
            `round ${round}: collected ${JSON.stringify(collected)} of ${JSON.stringify(created)}`,
          10_000,
          20,
        );
      }
    } finally {
      warnings.stop();
    }
    expect(
      warnings.warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String),
    ).toEqual([]);
    // Heap flat: least-squares slope over the measured rounds under 3 % of the mean per round.
    const slope = leastSquaresSlope(heaps);
    const mean = heaps.reduce((a, b) => a + b, 0) / heaps.length;
    expect(slope / mean).toBeLessThan(0.03);
  }, 120_000);
});

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? 0) !== (b[key] ?? 0)) return false;
  return true;
}

function leastSquaresSlope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}
