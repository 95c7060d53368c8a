/**
 * Our client (our transport and codecs) -> the Kitex (Go) TestService server. What the Kitex
 * handler observed comes from the server's JSON event log (test/interop/README.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApplicationException,
  BizStatusError,
  TTStreamError,
  TTStreamErrorCode,
} from '../../lib/errors/index.js';
import type { TTStreamClientTransport } from '../../lib/transport/client-transport.js';
import type { ClientStream, OpenStreamOptions } from '../../lib/transport/client-stream.js';
import {
  startKitexServer,
  startTap,
  type KitexServer,
  type KitexServerEvent,
} from './support/peer.js';
import { ourClient } from './support/our-side.js';
import {
  echoCall,
  type EchoRequest,
  type EchoResponse,
  type MethodName,
} from './support/test-service.js';

const CANCEL_TEXT =
  'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively';

let kitex: KitexServer;
let client: TTStreamClientTransport;

beforeAll(async () => {
  kitex = await startKitexServer();
  client = ourClient(kitex.address);
});

afterAll(async () => {
  await client.close();
  await kitex.stop();
});

type Stream = ClientStream<EchoRequest, EchoResponse>;

function open(method: MethodName | 'NoSuchMethod', options: OpenStreamOptions = {}): Stream {
  return client.openStream(echoCall(method), options);
}

/** Receives to the end; returns the messages and the terminal error (undefined = EOF). */
async function drain(stream: Stream): Promise<{ got: EchoResponse[]; error: unknown }> {
  const got: EchoResponse[] = [];
  try {
    for (;;) {
      const next = await stream.recv();
      if (next.done === true) return { got, error: undefined };
      got.push(next.value);
    }
  } catch (error) {
    return { got, error };
  }
}

/** Where the event log stands now: only later events (by index and by time) can match. */
interface Mark {
  readonly from: number;
  readonly t0: number;
}

function mark(): Mark {
  return { from: kitex.events.length, t0: Date.now() };
}

// The event line travels through a pipe and may arrive after the frames of the same stream, so
// an event of the previous stream can still come in after mark(): match by time as well.
function nextEvent(
  match: (e: KitexServerEvent) => boolean,
  timeoutMs = 10_000,
): (m: Mark) => Promise<KitexServerEvent> {
  return (m) => kitex.waitForEvent((e) => e.t_ms >= m.t0 && match(e), timeoutMs, m.from);
}

const started = (method: string): ((m: Mark) => Promise<KitexServerEvent>) =>
  nextEvent((e) => e.event === 'stream_start' && e.method === method);
const ended = (method: string, timeoutMs = 10_000): ((m: Mark) => Promise<KitexServerEvent>) =>
  nextEvent((e) => e.event === 'stream_end' && e.method === method, timeoutMs);

describe('our client -> Kitex server: success path', () => {
  it('Echo (bidi): 5 ping-pong rounds, EOF, x-handler, x-sent=5', async () => {
    const stream = open('Echo');
    const got: EchoResponse[] = [];
    for (let i = 0; i < 5; i++) {
      await stream.send({ message: `hello-${i}` });
      const next = await stream.recv();
      if (next.done !== true) got.push(next.value);
    }
    await stream.closeSend();
    expect(await drain(stream)).toEqual({ got: [], error: undefined });
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => ({ message: `hello-${i}`, index: i })));
    expect((await stream.header()).get('x-handler')).toBe('TestService.Echo');
    expect((await stream.trailer()).get('x-sent')).toBe('5');
    await stream.done;
  });

  it('Echo (bidi) with an immediate half-close: no message, x-sent=0', async () => {
    const stream = open('Echo');
    await stream.closeSend();
    expect(await drain(stream)).toEqual({ got: [], error: undefined });
    expect((await stream.header()).get('x-handler')).toBe('TestService.Echo');
    expect((await stream.trailer()).get('x-sent')).toBe('0');
  });

  it('EchoClient: 4 requests -> one joined response, x-sent=1', async () => {
    const stream = open('EchoClient');
    for (let i = 0; i < 4; i++) await stream.send({ message: `hello-${i}` });
    await stream.closeSend();
    expect(await drain(stream)).toEqual({
      got: [{ message: 'hello-0,hello-1,hello-2,hello-3', index: 4 }],
      error: undefined,
    });
    expect((await stream.header()).get('x-handler')).toBe('TestService.EchoClient');
    expect((await stream.trailer()).get('x-sent')).toBe('1');
  });

  it('EchoServer: count=6 responses in order, x-sent=6', async () => {
    const stream = open('EchoServer');
    await stream.send({ message: 'hello', count: 6 });
    await stream.closeSend();
    expect(await drain(stream)).toEqual({
      got: [0, 1, 2, 3, 4, 5].map((i) => ({ message: 'hello', index: i })),
      error: undefined,
    });
    expect((await stream.header()).get('x-handler')).toBe('TestService.EchoServer');
    expect((await stream.trailer()).get('x-sent')).toBe('6');
  });
});

describe('our client -> Kitex server: errors', () => {
  it.each([0, 100])(
    'business error after exactly count=3 messages (first recv after %i ms)',
    async (delay) => {
      const stream = open('ServerStreamWithErr');
      await stream.send({ message: 'balance', count: 3 });
      await stream.closeSend();
      await new Promise((d) => setTimeout(d, delay));
      const { got, error } = await drain(stream);
      expect(got).toEqual([0, 1, 2].map((i) => ({ message: `token-${i}`, index: i })));
      expect(error).toBeInstanceOf(BizStatusError);
      const biz = error as BizStatusError;
      expect({ code: biz.bizStatusCode, message: biz.bizMessage, extra: biz.bizExtra }).toEqual({
        code: 10001,
        message: 'insufficient user balance',
        extra: { testKey: 'testVal' },
      });
      expect(biz.message).toBe('biz error: code=10001, msg=insufficient user balance');
      expect((await stream.header()).get('x-handler')).toBe('TestService.ServerStreamWithErr');
      expect((await stream.trailer()).get('x-sent')).toBe('3');
    },
  );

  it('plain error: ApplicationException type 6 with the Kitex text', async () => {
    const stream = open('ServerStreamWithErr');
    await stream.send({ message: 'test error', count: 3 });
    await stream.closeSend();
    const { got, error } = await drain(stream);
    expect(got).toEqual([]);
    expect(error).toBeInstanceOf(ApplicationException);
    const ex = error as ApplicationException;
    expect(ex.typeId).toBe(6);
    expect(ex.applicationMessage).toBe('biz error: test error');
    expect(ex.code).toBe(12001);
    // The exact text a Kitex client gets from the Kitex server.
    expect(ex.message).toBe(
      '[ttstream error, code=12001] [client-side stream] biz error: test error',
    );
    expect((await stream.header()).get('x-handler')).toBe('TestService.ServerStreamWithErr');
    expect((await stream.trailer()).get('x-sent')).toBe('0');
  });
});

describe('our client (service name A) -> Kitex server: client cancel', () => {
  const slow: OpenStreamOptions = { metainfo: { transient: { 'interval-ms': '200' } } };

  /** Opens, runs `before`, cancels; returns the local error and the Kitex handler's stream_end. */
  async function cancelCase(
    method: MethodName,
    options: OpenStreamOptions,
    before: (stream: Stream) => Promise<void>,
  ): Promise<{ local: unknown; end: KitexServerEvent; got: EchoResponse[] }> {
    const from = mark();
    const stream = open(method, options);
    await before(stream);
    await started(method)(from);
    const cancelAt = Date.now();
    stream.cancel();
    const end = await ended(method)(from);
    // Unlike a Kitex client (D8: up to 5 s when nobody is in Recv), ours sends the RST at once.
    expect(end.t_ms - cancelAt).toBeLessThan(1000);
    const { got, error } = await drain(stream);
    return { local: error, end, got };
  }

  function expectKitexSawCancel(end: KitexServerEvent): void {
    expect(end.canceled).toBe(true);
    expect(end.ctx_err_code).toBe(12007);
    expect(end.ctx_err).toBe(
      `[ttstream error, code=12007] [server-side stream] [canceled path: A] ${CANCEL_TEXT}`,
    );
  }

  function expectLocalCancel(local: unknown): void {
    expect(local).toBeInstanceOf(TTStreamError);
    expect((local as TTStreamError).kind).toBe(TTStreamErrorCode.BizCancel);
    // D3: the client-side text has no cancel path.
    expect((local as Error).message).toBe(
      `[ttstream error, code=12007] [client-side stream] ${CANCEL_TEXT}`,
    );
  }

  it.each([
    ['Echo', 'before the first message', 0],
    ['Echo', 'mid-stream', 2],
    ['EchoClient', 'before the first message', 0],
    ['EchoClient', 'mid-stream', 2],
    ['EchoServer', 'before the first message', 0],
    ['EchoServer', 'mid-stream', 2],
  ] as const)(
    '%s, %s: the Kitex handler sees 12007 with [canceled path: A]',
    async (method, _, n) => {
      const { local, end, got } = await cancelCase(
        method,
        method === 'EchoServer' ? slow : {},
        async (stream) => {
          if (method === 'EchoServer') {
            await stream.send({ message: 'hello', count: 10 });
            await stream.closeSend();
            for (let i = 0; i < n; i++) await stream.recv();
          } else if (method === 'Echo') {
            for (let i = 0; i < n; i++) {
              await stream.send({ message: `hello-${i}` });
              await stream.recv();
            }
          } else {
            for (let i = 0; i < n; i++) await stream.send({ message: `hello-${i}` });
            if (n > 0) await new Promise((d) => setTimeout(d, 50));
          }
        },
      );
      expect(got).toEqual([]);
      expectLocalCancel(local);
      expectKitexSawCancel(end);
      if (method === 'EchoClient') expect(end.recv).toBe(n);
      if (method !== 'EchoClient') expect(end.sent).toBe(n);
    },
  );

  it('cancel through an AbortSignal: same as cancel()', async () => {
    const controller = new AbortController();
    const from = mark();
    const stream = open('Echo', { signal: controller.signal });
    await started('Echo')(from);
    controller.abort();
    const { error } = await drain(stream);
    expectLocalCancel(error);
    expectKitexSawCancel(await ended('Echo')(from));
  });
});

describe('our client -> Kitex server: timeouts', () => {
  const slow: OpenStreamOptions = { metainfo: { transient: { 'interval-ms': '1000' } } };

  it('Recv timeout 200 ms: 12014 on our side; the Kitex handler sees 12014 with path A', async () => {
    const from = mark();
    const stream = open('EchoServer', { ...slow, recvTimeoutMs: 200 });
    await stream.send({ message: 'hello', count: 2 });
    await stream.closeSend();
    const started = Date.now();
    const { got, error } = await drain(stream);
    expect(Date.now() - started).toBeLessThan(900);
    expect(got).toEqual([]);
    const detail = 'stream Recv timeout, timeout config={Timeout:200ms DisableCancelRemote:false}';
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(12014);
    expect((error as Error).message).toBe(
      `[ttstream error, code=12014] [client-side stream] ${detail}`,
    );
    const end = await ended('EchoServer')(from);
    expect(end.ctx_err_code).toBe(12014);
    expect(end.ctx_err).toBe(
      `[ttstream error, code=12014] [server-side stream] [canceled path: A] ${detail}`,
    );
    expect(end.canceled).toBe(true);
  });

  it('Recv timeout with disableCancelRemote: the stream goes on and a retry gets the messages', async () => {
    const stream = open('EchoServer', {
      metainfo: { transient: { 'interval-ms': '300' } },
      recvTimeoutMs: 200,
      disableCancelRemote: true,
    });
    await stream.send({ message: 'hello', count: 2 });
    await stream.closeSend();
    const got: EchoResponse[] = [];
    let timeouts = 0;
    for (let i = 0; i < 20; i++) {
      try {
        const next = await stream.recv();
        if (next.done === true) break;
        got.push(next.value);
      } catch (error) {
        expect((error as TTStreamError).code).toBe(12014);
        timeouts++;
      }
    }
    expect(timeouts).toBeGreaterThan(0);
    expect(got).toEqual([0, 1].map((i) => ({ message: 'hello', index: i })));
    expect((await stream.trailer()).get('x-sent')).toBe('2');
  });

  it('deadline 300 ms: 12015 on our side; the Kitex handler sees 12015', async () => {
    const from = mark();
    const stream = open('EchoServer', { ...slow, timeoutMs: 300 });
    await stream.send({ message: 'hello', count: 3 });
    await stream.closeSend();
    const { error } = await drain(stream);
    expect((error as TTStreamError).code).toBe(12015);
    expect((error as Error).message).toMatch(
      /^\[ttstream error, code=12015\] \[client-side stream\] stream timeout, timeout in ctx: /,
    );
    const end = await ended('EchoServer')(from);
    expect(end.ctx_err_code).toBe(12015);
    expect(end.canceled).toBe(true);
  });
});

describe('our client -> Kitex server: metainfo, headers, unknown method', () => {
  it('metainfo RPC_TRANSIT_/RPC_PERSIST_ reach the Kitex handler', async () => {
    const stream = open('Echo', {
      metainfo: { transient: { k2: 'v2' }, persistent: { k1: 'v1' } },
    });
    await stream.send({ message: 'hello' });
    await stream.closeSend();
    expect((await drain(stream)).got).toEqual([{ message: 'hello', index: 0 }]);
    expect(JSON.parse((await stream.header()).get('x-metainfo') ?? 'null')).toEqual({
      transient: { k2: 'v2' },
      persistent: { k1: 'v1' },
    });
  });

  it('custom header keys reach the Kitex server; its header and trailer keys reach us', async () => {
    const trailing = 'a,b:c=d ☺😈';
    const stream = open('Echo', {
      headers: { 'x-echo-initial': 'test_initial_metadata_value', 'x-echo-trailing': trailing },
    });
    await stream.send({ message: 'hello' });
    await stream.closeSend();
    await drain(stream);
    const header = await stream.header();
    expect(header.get('x-echo-initial')).toBe('test_initial_metadata_value');
    expect(header.get('x-handler')).toBe('TestService.Echo');
    const trailer = await stream.trailer();
    expect(trailer.get('x-echo-trailing')).toBe(trailing);
    expect(trailer.get('x-sent')).toBe('1');
  });

  it('header values that are not UTF-8 go through Kitex and back byte for byte (M-1)', async () => {
    // Bytes AB AB AB (not UTF-8), written and read as U+DCAB each; an empty value alongside.
    const binary = '\udcab\udcab\udcab';
    const stream = open('Echo', { headers: { 'x-echo-initial': '', 'x-echo-trailing': binary } });
    await stream.send({ message: 'hello' });
    await stream.closeSend();
    await drain(stream);
    expect((await stream.header()).get('x-echo-initial')).toBe('');
    expect((await stream.trailer()).get('x-echo-trailing')).toBe(binary);
  });

  it('unknown method: Kitex stays silent; our per-call timeout ends the stream (12015)', async () => {
    const stream = open('NoSuchMethod', { timeoutMs: 1000 });
    await stream.send({ message: 'hello' });
    await stream.closeSend();
    const started = Date.now();
    const { got, error } = await drain(stream);
    const took = Date.now() - started;
    expect(got).toEqual([]);
    expect((error as TTStreamError).code).toBe(12015);
    expect(took).toBeGreaterThan(800);
    expect(took).toBeLessThan(3000);
    expect(kitex.stderr()).toContain('unknown method NoSuchMethod');
  });
});

describe('our client -> Kitex server: pools', () => {
  it.each(['long', 'short'] as const)(
    'pool %s: sequential calls of every kind; long reuses one connection, short uses one per call',
    async (pool) => {
      const tap = await startTap(kitex.address);
      const pooled = ourClient(tap.address, { pool });
      try {
        for (let round = 0; round < 2; round++) {
          const bidi = pooled.openStream(echoCall('Echo'));
          await bidi.send({ message: 'hello' });
          await bidi.closeSend();
          expect(await drain(bidi)).toEqual({
            got: [{ message: 'hello', index: 0 }],
            error: undefined,
          });
          const server = pooled.openStream(echoCall('EchoServer'));
          await server.send({ message: 'hi', count: 2 });
          await server.closeSend();
          expect((await drain(server)).got).toEqual(
            [0, 1].map((i) => ({ message: 'hi', index: i })),
          );
          const client = pooled.openStream(echoCall('EchoClient'));
          await client.send({ message: 'a' });
          await client.send({ message: 'b' });
          await client.closeSend();
          expect((await drain(client)).got).toEqual([{ message: 'a,b', index: 2 }]);
        }
        const opens = tap.records().filter((r) => r.event === 'open').length;
        expect(opens).toBe(pool === 'long' ? 1 : 6);
      } finally {
        await pooled.close();
        await tap.stop();
      }
    },
  );
});

describe('our client -> Kitex server: scale', () => {
  it('1000 concurrent bidi streams x 10 rounds over one connection (mux, pool size 1)', async () => {
    const scale = ourClient(kitex.address, { pool: 'mux', poolSize: 1 });
    try {
      const one = async (s: number): Promise<string | undefined> => {
        const stream = scale.openStream(echoCall('Echo'));
        for (let i = 0; i < 10; i++) {
          const message = `s${s}-m${i}`;
          await stream.send({ message });
          const next = await stream.recv();
          if (next.done === true || next.value.message !== message || next.value.index !== i) {
            return `stream ${s} round ${i}: ${JSON.stringify(next)}`;
          }
        }
        await stream.closeSend();
        const rest = await drain(stream);
        if (rest.got.length > 0 || rest.error !== undefined)
          return `stream ${s}: ${String(rest.error)}`;
        if ((await stream.trailer()).get('x-sent') !== '10') return `stream ${s}: x-sent`;
        return undefined;
      };
      const results = await Promise.all(Array.from({ length: 1000 }, (_, s) => one(s)));
      expect(results.filter((r) => r !== undefined)).toEqual([]);
      expect(scale.stats().connections).toBe(1);
    } finally {
      await scale.close();
    }
  });
});
