import { afterEach, describe, expect, it } from '@jest/globals';
import { type TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { IntHeaderKey } from '../../../lib/protocol/int-header-key.js';
import { decodeApplicationExceptionMessage } from '../../../lib/thrift/application-exception.js';
import { jsonCodec } from '../../helpers/codecs.js';
import { call, registerEcho, SERVICE } from '../../helpers/echo-service.js';
import { dataFrame, garbage, headerFrame, rstFrame, trailerFrame } from '../../helpers/frames.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { RawPeer } from '../../helpers/raw-peer.js';
import { collect, waitFor } from '../../helpers/wait.js';

/** The first 500 bytes of a valid 1000-byte DATA frame. */
function truncatedFrame(): Uint8Array {
  const bytes = encodeFrame(dataFrame(1, HOLD.bidirectional, 'x'.repeat(1000)));
  return bytes.subarray(0, 500);
}

// P-rows with a scripted raw client against our server.
describe('protocol robustness: raw client -> our server', () => {
  let loop: Loopback | undefined;
  let peer: RawPeer | undefined;
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    await peer?.close();
    await loop?.close();
    peer = undefined;
    loop = undefined;
    records.length = 0;
  });

  async function start(serverOptions = {}): Promise<RawPeer> {
    loop = await startLoopback(
      (s) => {
        registerHold(s, records);
        registerEcho(s);
        s.register(SERVICE, 'Json', {
          mode: 'bidirectional',
          requestCodec: jsonCodec<{ n: number }>(),
          responseCodec: jsonCodec<{ n: number }>(),
          handler: async (stream) => {
            for await (const m of stream) await stream.send({ n: m.n + 1 });
          },
        });
      },
      { server: serverOptions },
    );
    peer = await RawPeer.connect(loop.address.port);
    return peer;
  }

  /** Opens two held streams and waits until the server runs them. */
  async function twoHealthyStreams(raw: RawPeer): Promise<void> {
    raw.send(headerFrame(1, HOLD.bidirectional), headerFrame(3, HOLD.bidirectional));
    await waitFor(() => records.length === 2, 'two server streams');
  }

  async function expectConnectionKilled(raw: RawPeer): Promise<void> {
    await raw.waitClosed();
    for (const r of records) {
      expect(((await r.ended) as TTStreamError).kind).toBe(
        TTStreamErrorCode.CanceledByConnectionClose,
      );
    }
    // The process keeps serving other connections.
    const stream = loop!.client.openStream(call('Echo'));
    await stream.send('still serving');
    await stream.closeSend();
    expect(await collect(stream)).toEqual(['still serving']);
  }

  it.each([
    ['an HTTP request', new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['4 KiB of random bytes', garbage(4096)],
  ])('P-1 %s closes the connection; its streams get 12013', async (_name, bytes) => {
    const raw = await start();
    await twoHealthyStreams(raw);
    raw.sendBytes(bytes);
    await expectConnectionKilled(raw);
  });

  const mutations: [string, (bytes: Uint8Array) => void][] = [
    [
      'bad magic',
      (b) => {
        b[4] = 0x0f;
        b[5] = 0xff;
      },
    ],
    [
      'missing streaming flag',
      (b) => {
        b[7] = 0x00;
      },
    ],
    [
      'bad protocol id',
      (b) => {
        b[14] = 0x05;
      },
    ],
  ];
  it.each(mutations)('P-2 %s closes the connection', async (_name, mutate) => {
    const raw = await start();
    await twoHealthyStreams(raw);
    const bytes = encodeFrame(dataFrame(1, HOLD.bidirectional, 'x'));
    mutate(bytes);
    raw.sendBytes(bytes);
    await expectConnectionKilled(raw);
  });

  it('P-5 an unknown info id (0x05) closes the connection', async () => {
    const raw = await start();
    await twoHealthyStreams(raw);
    const bytes = encodeFrame({ ...headerFrame(7, 'Echo'), type: FrameType.Header });
    expect(bytes[16]).toBe(0x01); // the string-KV info block comes first
    bytes[16] = 0x05;
    raw.sendBytes(bytes);
    await expectConnectionKilled(raw);
  });

  it('P-2 an unknown frame type is skipped and counted; the connection stays up', async () => {
    const raw = await start();
    raw.send(
      { type: 9, streamId: 1, method: 'Echo' },
      headerFrame(1, 'Echo'),
      dataFrame(1, 'Echo', 'after'),
      trailerFrame(1, 'Echo'),
    );
    const frames = await raw.waitFrames(1, 3);
    expect(frames.map((f) => f.type)).toEqual([
      FrameType.Header,
      FrameType.Data,
      FrameType.Trailer,
    ]);
    expect(loop!.server.stats().skippedFrames).toBe(1);
  });

  it('P-3 (a) a truncated frame then FIN closes cleanly', async () => {
    const raw = await start();
    await twoHealthyStreams(raw);
    raw.sendBytes(truncatedFrame());
    raw.socket.end();
    await expectConnectionKilled(raw);
  });

  it('P-3 (b) a truncated frame then silence: the idle timeout closes the connection', async () => {
    const raw = await start({ idleTimeoutMs: 200 });
    const started = Date.now();
    raw.sendBytes(truncatedFrame());
    await raw.waitClosed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('P-3 (c) frames delivered one byte at a time decode the same', async () => {
    const raw = await start();
    raw.socket.setNoDelay(true);
    const bytes = Buffer.concat(
      [headerFrame(5, 'Echo'), dataFrame(5, 'Echo', 'slow'), trailerFrame(5, 'Echo')].map((f) =>
        encodeFrame(f),
      ),
    );
    for (const byte of bytes) raw.sendBytes(Uint8Array.of(byte));
    const frames = await raw.waitFrames(5, 3);
    expect(Buffer.from(frames[1]!.payload).toString()).toBe('slow');
  });

  it('P-4 a DATA frame over maxFrameBytes resets its stream only; the payload is read past', async () => {
    const raw = await start({ maxFrameBytes: 1024 });
    await twoHealthyStreams(raw);
    raw.send(dataFrame(1, HOLD.bidirectional, 'x'.repeat(2000)));
    const [rst] = (await raw.waitFrames(1, 1)).filter((f) => f.type === FrameType.Rst);
    expect(rst).toBeDefined();
    expect(decodeApplicationExceptionMessage(rst!.payload)).toMatchObject({
      typeId: TTStreamErrorCode.IllegalFrame,
      message: expect.stringContaining('frame of 2034 bytes exceeds maxFrameBytes 1024'),
    });
    expect(((await records[0]!.ended) as TTStreamError).kind).toBe(TTStreamErrorCode.IllegalFrame);
    // The connection and its other stream go on.
    raw.send(dataFrame(3, HOLD.bidirectional, 'still here'));
    await raw.waitFrames(3, 2);
    expect(raw.closed).toBe(false);
  });

  it('P-4 a HEADER declaring LENGTH 0x7FFFFFFF is refused without buffering anything', async () => {
    const raw = await start();
    const head = encodeFrame(headerFrame(1, HOLD.bidirectional));
    new DataView(head.buffer, head.byteOffset).setUint32(0, 0x7fffffff);
    raw.sendBytes(head);
    const frames = await raw.waitFrames(1, 2);
    expect(frames.map((f) => f.type)).toEqual([FrameType.Header, FrameType.Trailer]);
    expect(decodeApplicationExceptionMessage(frames[1]!.payload).message).toBe(
      'frame of 2147483647 bytes exceeds maxFrameBytes 67108864',
    );
    expect(records).toHaveLength(0);
    expect(raw.closed).toBe(false);
  });

  it('P-5 LENGTH smaller than the header is rejected', async () => {
    const raw = await start();
    await twoHealthyStreams(raw);
    const bytes = encodeFrame(dataFrame(1, HOLD.bidirectional, ''));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint32(0, 12);
    raw.sendBytes(bytes.subarray(0, 16));
    await expectConnectionKilled(raw);
  });

  it('P-6 frames after the end and for unknown ids are dropped; the connection stays up', async () => {
    const raw = await start();
    raw.send(headerFrame(1, HOLD.bidirectional));
    await waitFor(() => records.length === 1, 'server stream');
    raw.send(rstFrame(1, HOLD.bidirectional, 12007, 'gone'));
    await records[0]!.ended;
    raw.send(
      dataFrame(1, HOLD.bidirectional, 'late'),
      trailerFrame(1, HOLD.bidirectional),
      dataFrame(77, 'Echo', 'never opened'),
      rstFrame(78, 'Echo', 1),
      trailerFrame(79, 'Echo'),
    );
    // After the RST our server sends nothing for that stream.
    raw.send(headerFrame(9, 'Echo'), dataFrame(9, 'Echo', 'alive'), trailerFrame(9, 'Echo'));
    await raw.waitFrames(9, 3);
    expect(raw.framesOf(1)).toEqual([]);
    expect(records[0]!.received).toEqual([]);
    await waitFor(() => loop!.server.stats().streams === 0, 'no streams');
  });

  it('P-7 our server never sends a second HEADER (sendHeader twice is a local error)', async () => {
    const raw = await start();
    raw.send(
      headerFrame(1, 'Echo'),
      dataFrame(1, 'Echo', 'a'),
      dataFrame(1, 'Echo', 'b'),
      trailerFrame(1, 'Echo'),
    );
    const frames = await raw.waitFrames(1, 4);
    expect(frames.map((f) => f.type)).toEqual([
      FrameType.Header,
      FrameType.Data,
      FrameType.Data,
      FrameType.Trailer,
    ]);
  });

  it('P-8 stream id edges all work; a reused live id cancels the old stream (12002)', async () => {
    const raw = await start();
    const ids = [1, 0x7fffffff, -0x80000000, -5, 1001];
    for (const id of ids) {
      raw.send(
        headerFrame(id, 'Echo'),
        dataFrame(id, 'Echo', `id ${id}`),
        trailerFrame(id, 'Echo'),
      );
    }
    for (const id of ids) {
      const frames = await raw.waitFrames(id, 3);
      expect(Buffer.from(frames[1]!.payload).toString()).toBe(`id ${id}`);
      expect(frames[2]!.type).toBe(FrameType.Trailer);
    }
    raw.send(headerFrame(2000, HOLD.bidirectional));
    await waitFor(() => records.length === 1, 'first stream');
    raw.send(headerFrame(2000, HOLD.bidirectional));
    const reason = (await records[0]!.ended) as TTStreamError;
    expect(reason.kind).toBe(TTStreamErrorCode.UnexpectedHeader);
    await waitFor(() => records.length === 2, 'second stream');
    raw.send(dataFrame(2000, HOLD.bidirectional, 'to the new one'));
    await raw.waitFrames(2000, 2);
    expect(records[1]!.received).toEqual(['to the new one']);
    raw.send(trailerFrame(2000, HOLD.bidirectional));
    await raw.waitFrames(2000, 3);
  });

  it('P-9 a client TRAILER with an exception payload ends receiving with 12001', async () => {
    const raw = await start();
    let seen: unknown;
    loop!.server.register(SERVICE, 'Recv', {
      mode: 'client',
      requestCodec: jsonCodec(),
      responseCodec: jsonCodec(),
      handler: async (stream) => {
        try {
          await collect(stream);
        } catch (error) {
          seen = error;
          throw error;
        }
      },
    });
    raw.send(
      headerFrame(1, 'Recv'),
      trailerFrame(1, 'Recv', {}, rstFrame(1, 'Recv', 6, 'client failed').payload),
    );
    await raw.waitFrames(1, 2);
    expect((seen as TTStreamError).kind).toBe(TTStreamErrorCode.ApplicationException);
  });

  it('P-10 an invalid DATA payload fails that stream only; the handler error becomes 12001', async () => {
    const raw = await start();
    raw.send(headerFrame(1, HOLD.bidirectional));
    raw.send(headerFrame(3, 'Json'), dataFrame(3, 'Json', '{not json'));
    const frames = await raw.waitFrames(3, 2);
    expect(frames.map((f) => f.type)).toEqual([FrameType.Header, FrameType.Trailer]);
    const ex = decodeApplicationExceptionMessage(frames[1]!.payload);
    expect(ex.typeId).toBe(6);
    // The other stream is unaffected.
    raw.send(dataFrame(1, HOLD.bidirectional, 'ok'));
    const other = await raw.waitFrames(1, 2);
    expect(Buffer.from(other[1]!.payload).toString()).toBe('ok');
    raw.send(trailerFrame(1, HOLD.bidirectional));
    await raw.waitFrames(1, 3);
  });

  it('P-10 a client-streaming handler cannot send a second response', async () => {
    const raw = await start();
    let second: unknown;
    loop!.server.register(SERVICE, 'TwoResponses', {
      mode: 'client',
      requestCodec: jsonCodec<number>(),
      responseCodec: jsonCodec<number>(),
      handler: async (stream) => {
        await collect(stream);
        await stream.send(1);
        second = await stream.send(2).catch((e: unknown) => e);
      },
    });
    raw.send(headerFrame(1, 'TwoResponses'), trailerFrame(1, 'TwoResponses'));
    const frames = await raw.waitFrames(1, 3);
    expect(frames.map((f) => f.type)).toEqual([
      FrameType.Header,
      FrameType.Data,
      FrameType.Trailer,
    ]);
    expect((second as TTStreamError).kind).toBe(TTStreamErrorCode.IllegalOperation);
  });

  it('C-2 max concurrent streams: the extra stream gets HEADER + exception TRAILER', async () => {
    const raw = await start({ maxConcurrentStreams: 2 });
    await twoHealthyStreams(raw);
    raw.send(headerFrame(5, HOLD.bidirectional));
    const frames = await raw.waitFrames(5, 2);
    expect(frames.map((f) => f.type)).toEqual([FrameType.Header, FrameType.Trailer]);
    expect(decodeApplicationExceptionMessage(frames[1]!.payload).message).toContain('too many');
    raw.send(dataFrame(1, HOLD.bidirectional, 'unaffected'));
    await raw.waitFrames(1, 2);
    raw.send(trailerFrame(1, HOLD.bidirectional), trailerFrame(3, HOLD.bidirectional));
    await raw.waitFrames(3, 2);
  });

  it('int key 12 from the client: the handler is aborted with 12015 and the stream ends with an exception', async () => {
    const raw = await start();
    raw.send({
      ...headerFrame(1, HOLD.bidirectional),
      intHeaders: new Map([[IntHeaderKey.RPCTimeout, '100']]),
    });
    await waitFor(() => records.length === 1, 'server stream');
    expect(records[0]!.stream.remoteTimeoutMs).toBe(100);
    const reason = (await records[0]!.ended) as TTStreamError;
    expect(reason.kind).toBe(TTStreamErrorCode.StreamTimeout);
    expect(reason.side).toBe('server');
    const frames = await raw.waitFrames(1, 2);
    expect(frames.map((f) => f.type)).toEqual([FrameType.Header, FrameType.Trailer]);
    expect(decodeApplicationExceptionMessage(frames[1]!.payload).typeId).toBe(12015);
    await waitFor(() => loop!.server.stats().streams === 0, 'stream released');
  });

  it('an RST aborts the handler with 12010 carrying the peer code, message and path', async () => {
    const raw = await start();
    raw.send(headerFrame(1, HOLD.server), dataFrame(1, HOLD.server, 'go'));
    await raw.waitFrames(1, 2);
    raw.send(rstFrame(1, HOLD.server, 1204, 'proxy said no', { ttscp: 'A,Proxy' }));
    const reason = (await records[0]!.ended) as TTStreamError;
    expect(reason.message).toBe(
      '[ttstream error, code=1204] [server-side stream] [canceled path: A -> Proxy] proxy said no',
    );
    raw.send(rstFrame(3, HOLD.server));
    raw.send(headerFrame(5, HOLD.server), dataFrame(5, HOLD.server, 'go'));
    await raw.waitFrames(5, 2);
    raw.send(rstFrame(5, HOLD.server));
    const empty = (await records[1]!.ended) as TTStreamError;
    expect(empty.code).toBe(13);
    expect(empty.detail).toBe('rst');
    expect(raw.framesOf(1)).toHaveLength(2);
  });
});
