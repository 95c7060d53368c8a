/**
 * Wire parity: the frames our transport writes, recorded by the tap, are the frames real Kitex
 * writes in the same situation (test/fixtures/kitex/*.hex), byte for byte up to the order of the
 * key/value pairs. Stream ids are set to 1 so that the sid and the exception seq ids match.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { ClientStream } from '../../lib/transport/client-stream.js';
import type { TTStreamClientTransport } from '../../lib/transport/client-transport.js';
import { setNextStreamIdForTesting } from '../../lib/transport/stream-id.js';
import { canonical, fromHex, loadGolden } from '../unit/golden/kitex-golden.js';
import {
  runScenario,
  startKitexServer,
  startTap,
  type KitexServer,
  type Tap,
  type TapRecord,
} from './support/peer.js';
import { ourClient, startOurServer, type OurServer } from './support/our-side.js';
import { echoCall, type EchoRequest, type EchoResponse } from './support/test-service.js';

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function expectSameFrame(record: TapRecord | undefined, goldenFile: string): void {
  expect(record).toBeDefined();
  const golden = loadGolden(goldenFile);
  expect({ golden: goldenFile, frame: canonical(fromHex(record?.hex ?? '')) }).toEqual({
    golden: goldenFile,
    frame: canonical(golden.bytes),
  });
}

function dir(tap: Tap, direction: 'c2s' | 's2c'): TapRecord[] {
  return tap.frames().filter((f) => f.dir === direction);
}

async function settle(tap: Tap, direction: 'c2s' | 's2c', count: number): Promise<TapRecord[]> {
  const start = Date.now();
  while (dir(tap, direction).length < count && Date.now() - start < 5000) {
    await new Promise((d) => setTimeout(d, 10));
  }
  await new Promise((d) => setTimeout(d, 50));
  return dir(tap, direction);
}

describe('frames our client writes == frames a Kitex client writes', () => {
  let kitexOrNone: KitexServer | undefined;
  let kitex: KitexServer;
  let tap: Tap;

  async function setUp(serviceName = 'A'): Promise<TTStreamClientTransport> {
    kitexOrNone ??= await startKitexServer();
    kitex = kitexOrNone;
    tap = await startTap(kitex.address);
    const client = ourClient(tap.address, { serviceName });
    cleanup.push(() => tap.stop());
    cleanup.push(() => client.close());
    setNextStreamIdForTesting(1);
    return client;
  }

  afterAll(async () => {
    await kitexOrNone?.stop();
  });

  type Stream = ClientStream<EchoRequest, EchoResponse>;

  async function drain(stream: Stream): Promise<void> {
    try {
      while ((await stream.recv()).done !== true) {
        // discard
      }
    } catch {
      // the outcome is checked on the wire
    }
  }

  it('server-streaming call: HEADER, DATA, empty TRAILER', async () => {
    const client = await setUp();
    const stream = client.openStream(echoCall('EchoServer'));
    await stream.send({ message: 'hello', count: 3 });
    await stream.closeSend();
    await drain(stream);
    const c2s = await settle(tap, 'c2s', 3);
    expect(c2s.map((f) => f.type_name)).toEqual(['HEADER', 'DATA', 'TRAILER']);
    expectSameFrame(c2s[0], 'client-header.hex');
    expectSameFrame(c2s[1], 'client-data.hex');
    expectSameFrame(c2s[2], 'client-trailer-empty.hex');
  });

  it('bidi cancel (service name A): HEADER, RST(ttscp=A, 12007), empty TRAILER', async () => {
    const client = await setUp();
    const from = kitex.events.length;
    const t0 = Date.now();
    const stream = client.openStream(echoCall('Echo'));
    await kitex.waitForEvent((e) => e.event === 'stream_start' && e.t_ms >= t0, 5000, from);
    stream.cancel();
    await drain(stream);
    const c2s = await settle(tap, 'c2s', 3);
    expect(c2s.map((f) => f.type_name)).toEqual(['HEADER', 'RST', 'TRAILER']);
    expectSameFrame(c2s[0], 'client-header-bidi.hex');
    expectSameFrame(c2s[1], 'client-rst-cancel.hex');
    expectSameFrame(c2s[2], 'client-trailer-after-rst.hex');
  });

  it('bidi cancel without a service name: RST with no string block', async () => {
    const client = await setUp('');
    const from = kitex.events.length;
    const t0 = Date.now();
    const stream = client.openStream(echoCall('Echo'));
    await kitex.waitForEvent((e) => e.event === 'stream_start' && e.t_ms >= t0, 5000, from);
    stream.cancel();
    await drain(stream);
    const c2s = await settle(tap, 'c2s', 3);
    expectSameFrame(
      c2s.find((f) => f.type_name === 'RST'),
      'client-rst-cancel-no-service-name.hex',
    );
  });

  it('metainfo: HEADER with RPC_TRANSIT_k2 / RPC_PERSIST_k1', async () => {
    const client = await setUp();
    const stream = client.openStream(echoCall('Echo'), {
      metainfo: { transient: { k2: 'v2' }, persistent: { k1: 'v1' } },
    });
    await stream.closeSend();
    await drain(stream);
    const c2s = await settle(tap, 'c2s', 2);
    expectSameFrame(c2s[0], 'client-header-metainfo.hex');
  });

  it('Recv timeout 200 ms: RST(12014) with the Kitex text', async () => {
    const client = await setUp();
    const stream = client.openStream(echoCall('EchoServer'), {
      metainfo: { transient: { 'interval-ms': '1000' } },
      recvTimeoutMs: 200,
    });
    await stream.send({ message: 'hello', count: 2 });
    await stream.closeSend();
    await drain(stream);
    const c2s = await settle(tap, 'c2s', 4);
    expect(c2s.map((f) => f.type_name)).toEqual(['HEADER', 'DATA', 'TRAILER', 'RST']);
    expectSameFrame(c2s[3], 'client-rst-recv-timeout.hex');
  });

  it('client-streaming cancel after the half-close: TRAILER then RST (D2)', async () => {
    const client = await setUp();
    const from = kitex.events.length;
    const t0 = Date.now();
    const stream = client.openStream(echoCall('EchoClient'), {
      metainfo: { transient: { 'interval-ms': '200' } },
    });
    await stream.send({ message: 'hello-0' });
    await stream.send({ message: 'hello-1' });
    await stream.closeSend();
    await kitex.waitForEvent((e) => e.event === 'stream_start' && e.t_ms >= t0, 5000, from);
    stream.cancel();
    await drain(stream);
    const c2s = await settle(tap, 'c2s', 5);
    expect(c2s.map((f) => f.type_name)).toEqual(['HEADER', 'DATA', 'DATA', 'TRAILER', 'RST']);
    expectSameFrame(c2s[4], 'client-rst-after-trailer.hex');
  });
});

describe('frames our server writes == frames a Kitex server writes', () => {
  let ours: OurServer | undefined;
  let tap: Tap;

  async function setUp(): Promise<void> {
    ours ??= await startOurServer();
    tap = await startTap(ours.address);
    cleanup.push(() => tap.stop());
  }

  afterAll(async () => {
    await ours?.close();
  });

  it('server streaming: HEADER(x-handler), DATA, TRAILER(x-sent)', async () => {
    await setUp();
    const v = await runScenario(tap.address, 'echo_server', { count: 3 });
    expect(v.problems).toEqual([]);
    const s2c = await settle(tap, 's2c', 5);
    expect(s2c.map((f) => f.type_name)).toEqual(['HEADER', 'DATA', 'DATA', 'DATA', 'TRAILER']);
    expectSameFrame(s2c[0], 'server-header.hex');
    expectSameFrame(s2c[1], 'server-data.hex');
    expectSameFrame(s2c[4], 'server-trailer-ok.hex');
  });

  it('business error: TRAILER with biz-status, biz-message, biz-extra and x-sent', async () => {
    await setUp();
    const v = await runScenario(tap.address, 'server_stream_biz_error', { count: 3 });
    expect(v.problems).toEqual([]);
    const s2c = await settle(tap, 's2c', 5);
    expectSameFrame(s2c[4], 'server-trailer-biz-error.hex');
  });

  it('plain error: HEADER, then TRAILER with TApplicationException(6) and x-sent=0', async () => {
    await setUp();
    const v = await runScenario(tap.address, 'server_stream_plain_error');
    expect(v.problems).toEqual([]);
    const s2c = await settle(tap, 's2c', 2);
    expect(s2c.map((f) => f.type_name)).toEqual(['HEADER', 'TRAILER']);
    expectSameFrame(s2c[0], 'server-header-before-exception.hex');
    expectSameFrame(s2c[1], 'server-trailer-exception.hex');
  });
});

describe('frames our cascading hop writes == frames a Kitex hop writes', () => {
  it('A cancels: B (ours) sends C an RST with ttscp=A,B and the original 12007', async () => {
    const c = await startKitexServer();
    cleanup.push(() => c.stop());
    const tap = await startTap(c.address);
    cleanup.push(() => tap.stop());
    const toC = ourClient(tap.address, { serviceName: 'B' });
    cleanup.push(() => toC.close());
    const b = await startOurServer({ forwardTo: toC });
    cleanup.push(() => b.close());
    setNextStreamIdForTesting(1);
    const v = await runScenario(b.address, 'cancel_bidi_mid_stream');
    expect(v.problems).toEqual([]);
    const c2s = await settle(tap, 'c2s', 4);
    expect(c2s.map((f) => f.type_name)).toEqual(['HEADER', 'DATA', 'RST', 'TRAILER']);
    expectSameFrame(c2s[2], 'client-rst-cascade.hex');
  });
});
