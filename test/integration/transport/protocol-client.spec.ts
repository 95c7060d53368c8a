import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ApplicationException,
  type BizStatusError,
  type TTStreamError,
  TTStreamErrorCode,
  errorCodeText,
} from '../../../lib/errors/index.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { IntHeaderKey } from '../../../lib/protocol/int-header-key.js';
import { decodeApplicationExceptionMessage } from '../../../lib/thrift/application-exception.js';
import {
  TTStreamClientTransport,
  type ClientTransportOptions,
} from '../../../lib/transport/client-transport.js';
import type { ClientStream } from '../../../lib/transport/client-stream.js';
import { setNextStreamIdForTesting } from '../../../lib/transport/stream-id.js';
import { jsonCodec } from '../../helpers/codecs.js';
import { call } from '../../helpers/echo-service.js';
import {
  dataFrame,
  exceptionBytes,
  garbage,
  trailerFrame,
  rstFrame,
} from '../../helpers/frames.js';
import { RawServer, type RawPeer } from '../../helpers/raw-peer.js';
import { collect, rejectionOf, waitFor } from '../../helpers/wait.js';

const H = FrameType.Header;
const D = FrameType.Data;
const T = FrameType.Trailer;
const R = FrameType.Rst;

// P-rows with our client against a scripted raw server, plus the client's wire behaviour.
describe('protocol robustness: our client -> raw server', () => {
  let raw: RawServer | undefined;
  let client: TTStreamClientTransport | undefined;
  afterEach(async () => {
    await client?.close();
    await raw?.close();
    await waitFor(() => client === undefined || client.stats().connections === 0, 'client closed');
    client = undefined;
    raw = undefined;
  });

  async function start(options: ClientTransportOptions = {}): Promise<TTStreamClientTransport> {
    raw = await RawServer.start();
    client = new TTStreamClientTransport(
      { host: '127.0.0.1', port: raw.port },
      { poolSize: 1, ...options },
    );
    return client;
  }

  /** Opens a stream and waits until the raw server has its HEADER. */
  async function opened(
    method = 'Echo',
    index = 0,
  ): Promise<{ stream: ClientStream<string, string>; peer: RawPeer }> {
    const stream = client!.openStream(call(method));
    const peer = await raw!.peer(index);
    await peer.waitFrames(stream.streamId, 1);
    return { stream, peer };
  }

  it('sends HEADER with isn, metainfo, custom headers and int key 12, DATA without waiting', async () => {
    await start();
    const stream = client!.openStream(call('Echo'), {
      headers: { 'x-custom': 'c' },
      metainfo: { transient: { k2: 'v2' }, persistent: { k1: 'v1' } },
      timeoutMs: 5000,
    });
    await stream.send('first');
    const peer = await raw!.peer();
    const [header, data] = await peer.waitFrames(stream.streamId, 2);
    expect(header!.type).toBe(H);
    expect(header!.method).toBe('Echo');
    expect(Object.fromEntries(header!.strHeaders)).toEqual({
      isn: 'TestService',
      'x-custom': 'c',
      RPC_TRANSIT_k2: 'v2',
      RPC_PERSIST_k1: 'v1',
    });
    expect(header!.intHeaders.get(IntHeaderKey.RPCTimeout)).toBe('5000');
    expect(data!.type).toBe(D);
    peer.send(trailerFrame(stream.streamId, 'Echo'));
    await stream.done;
    // The server ended first while the client was active: the client answers with its TRAILER.
    const frames = await peer.waitFrames(stream.streamId, 3);
    expect(frames.map((f) => f.type)).toEqual([H, D, T]);
  });

  it('cancel sends RST (12007, ttscp = service name) then an empty TRAILER; after closeSend no TRAILER', async () => {
    await start({ serviceName: 'A' });
    const { stream, peer } = await opened();
    stream.cancel();
    const frames = await peer.waitFrames(stream.streamId, 3);
    expect(frames.map((f) => f.type)).toEqual([H, R, T]);
    const rst = frames[1]!;
    expect(rst.strHeaders.get('ttscp')).toBe('A');
    const ex = decodeApplicationExceptionMessage(rst.payload);
    expect(ex.typeId).toBe(12007);
    expect(ex.message).toBe(errorCodeText(12007));
    expect(ex.seqId).toBe(stream.streamId);
    expect(frames[2]!.payload.length).toBe(0);

    const second = client!.openStream(call('Echo'));
    await second.closeSend();
    second.cancel();
    const more = await peer.waitFrames(second.streamId, 3);
    expect(more.map((f) => f.type)).toEqual([H, T, R]);
    expect(more[2]!.strHeaders.get('ttscp')).toBe('A');
  });

  it('a deferred cancel after the end writes nothing (L-4 defer_cancel)', async () => {
    await start({ serviceName: 'A' });
    const { stream, peer } = await opened();
    peer.send(dataFrame(stream.streamId, 'Echo', 'x'), trailerFrame(stream.streamId, 'Echo'));
    expect(await collect(stream)).toEqual(['x']);
    // The client answers the server's TRAILER with its own (it had not half-closed).
    await peer.waitFrames(stream.streamId, 2);
    stream.cancel();
    await expect(stream.done).resolves.toBeUndefined();
    const probe = client!.openStream(call('Echo'));
    await peer.waitFrames(probe.streamId, 1);
    expect(peer.framesOf(stream.streamId).map((f) => f.type)).toEqual([H, T]);
    probe.cancel();
  });

  it('without a service name the RST has no ttscp', async () => {
    await start();
    const { stream, peer } = await opened();
    stream.cancel();
    const frames = await peer.waitFrames(stream.streamId, 2);
    expect(frames[1]!.strHeaders.has('ttscp')).toBe(false);
  });

  it('P-1 garbage from the server fails every stream with 12004; the next stream redials', async () => {
    await start();
    const { stream: a, peer } = await opened();
    const b = client!.openStream(call('Echo'));
    await peer.waitFrames(b.streamId, 1);
    peer.sendBytes(garbage(4096));
    for (const s of [a, b]) {
      expect(((await rejectionOf(s.done)) as TTStreamError).kind).toBe(
        TTStreamErrorCode.IllegalFrame,
      );
    }
    await waitFor(() => client!.stats().connections === 0, 'dead connection removed');
    const c = client!.openStream(call('Echo'));
    const next = await raw!.peer(1);
    await next.waitFrames(c.streamId, 1);
    next.send(trailerFrame(c.streamId, 'Echo'));
    await c.done;
  });

  it('P-2 an unknown frame type from the server is skipped', async () => {
    await start();
    const { stream, peer } = await opened();
    peer.send(
      { type: 7, streamId: stream.streamId, method: 'Echo' },
      dataFrame(stream.streamId, 'Echo', 'ok'),
      trailerFrame(stream.streamId, 'Echo'),
    );
    expect(await collect(stream)).toEqual(['ok']);
  });

  it('P-4 an incoming frame over maxFrameBytes fails its stream with 12004, and only it', async () => {
    await start({ maxFrameBytes: 1024 });
    const { stream, peer } = await opened();
    peer.send(dataFrame(stream.streamId, 'Echo', 'x'.repeat(4000)));
    const error = (await rejectionOf(stream.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.IllegalFrame);
    expect(error.message).toMatch(/frame of 40\d\d bytes exceeds maxFrameBytes 1024/);
    // The stream is reset (RST to the server); the connection stays open.
    const frames = await peer.waitFrames(stream.streamId, 2);
    expect(frames.map((f) => f.type)).toContain(FrameType.Rst);
    expect(peer.closed).toBe(false);
  });

  it('P-4 an outgoing frame over maxFrameBytes fails that send locally and writes nothing', async () => {
    await start({ maxFrameBytes: 1024 });
    const { stream, peer } = await opened();
    const error = (await rejectionOf(stream.send('x'.repeat(4000)))) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.IllegalFrame);
    await stream.send('small');
    const frames = await peer.waitFrames(stream.streamId, 2);
    expect(frames.map((f) => f.type)).toEqual([H, D]);
    expect(Buffer.from(frames[1]!.payload).toString()).toBe('small');
    stream.cancel();
  });

  it('P-6 frames after the TRAILER and for unknown ids are never delivered', async () => {
    await start();
    const { stream, peer } = await opened();
    const sid = stream.streamId;
    peer.send(
      dataFrame(sid, 'Echo', 'one'),
      trailerFrame(sid, 'Echo'),
      dataFrame(sid, 'Echo', 'after end'),
      { type: H, streamId: sid, method: 'Echo' },
      trailerFrame(sid, 'Echo', { 'biz-status': '1' }),
      dataFrame(424242, 'Echo', 'nobody'),
      rstFrame(424243, 'Echo', 1),
    );
    expect(await collect(stream)).toEqual(['one']);
    await stream.done;
    const next = client!.openStream(call('Echo'));
    await peer.waitFrames(next.streamId, 1);
    peer.send(dataFrame(next.streamId, 'Echo', 'fine'), trailerFrame(next.streamId, 'Echo'));
    expect(await collect(next)).toEqual(['fine']);
    expect(client!.stats()).toMatchObject({ connections: 1, streams: 0 });
  });

  it('P-7 a second HEADER fails that stream only with 12002 (the connection stays up)', async () => {
    await start();
    const { stream, peer } = await opened();
    const other = client!.openStream(call('Echo'));
    await peer.waitFrames(other.streamId, 1);
    const header = { type: H, streamId: stream.streamId, method: 'Echo' };
    peer.send(header, header);
    const error = (await rejectionOf(stream.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.UnexpectedHeader);
    const frames = await peer.waitFrames(stream.streamId, 2);
    expect(frames[1]!.type).toBe(R);
    peer.send(
      dataFrame(other.streamId, 'Echo', 'unaffected'),
      trailerFrame(other.streamId, 'Echo'),
    );
    expect(await collect(other)).toEqual(['unaffected']);
  });

  it('P-8 stream ids wrap from 2^31-1 to -2^31 and skip 0', async () => {
    await start();
    setNextStreamIdForTesting(0x7fffffff);
    const a = client!.openStream(call('Echo'));
    const b = client!.openStream(call('Echo'));
    setNextStreamIdForTesting(-1);
    const c = client!.openStream(call('Echo'));
    const d = client!.openStream(call('Echo'));
    expect([a.streamId, b.streamId, c.streamId, d.streamId]).toEqual([
      0x7fffffff, -0x80000000, -1, 1,
    ]);
    const peer = await raw!.peer();
    for (const s of [a, b, c, d]) {
      await peer.waitFrames(s.streamId, 1);
      peer.send(
        dataFrame(s.streamId, 'Echo', `sid ${s.streamId}`),
        trailerFrame(s.streamId, 'Echo'),
      );
      expect(await collect(s)).toEqual([`sid ${s.streamId}`]);
    }
  });

  describe('P-9 bad trailer payloads', () => {
    it('a payload that is not a Thrift exception -> 12004 on that stream only', async () => {
      await start();
      const { stream, peer } = await opened();
      peer.send(trailerFrame(stream.streamId, 'Echo', {}, Uint8Array.of(1, 2, 3)));
      const error = (await rejectionOf(stream.done)) as TTStreamError;
      expect(error.kind).toBe(TTStreamErrorCode.IllegalFrame);
      const next = client!.openStream(call('Echo'));
      await peer.waitFrames(next.streamId, 1);
      peer.send(trailerFrame(next.streamId, 'Echo'));
      await next.done;
    });

    it('a truncated exception -> 12004', async () => {
      await start();
      const { stream, peer } = await opened();
      const bytes = exceptionBytes('Echo', stream.streamId, 6, 'truncated message');
      peer.send(trailerFrame(stream.streamId, 'Echo', {}, bytes.subarray(0, bytes.length - 6)));
      expect(((await rejectionOf(stream.done)) as TTStreamError).kind).toBe(
        TTStreamErrorCode.IllegalFrame,
      );
    });

    it('an RST without payload -> 12009 with code 13 "rst"; with payload and path -> the peer values', async () => {
      await start();
      const { stream, peer } = await opened();
      peer.send(rstFrame(stream.streamId, 'Echo'));
      const error = (await rejectionOf(stream.done)) as TTStreamError;
      expect(error.kind).toBe(TTStreamErrorCode.CanceledByDownstream);
      expect(error.message).toBe('[ttstream error, code=13] [client-side stream] rst');
      const next = client!.openStream(call('Echo'));
      await peer.waitFrames(next.streamId, 1);
      peer.send(rstFrame(next.streamId, 'Echo', 1204, 'proxy', { ttscp: 'B,Proxy' }));
      expect(((await rejectionOf(next.done)) as TTStreamError).message).toBe(
        '[ttstream error, code=1204] [client-side stream] [canceled path: B -> Proxy] proxy',
      );
    });

    it.each(['0', 'abc', '99999999999', '-0', ' 5'])('biz-status %j -> success', async (status) => {
      await start();
      const { stream, peer } = await opened();
      peer.send(
        trailerFrame(stream.streamId, 'Echo', { 'biz-status': status, 'biz-message': 'm' }),
      );
      await expect(stream.done).resolves.toBeUndefined();
      expect((await stream.trailer()).get('biz-status')).toBe(status);
    });

    it('biz-status "+5" parses as Go ParseInt does', async () => {
      await start();
      const { stream, peer } = await opened();
      peer.send(
        trailerFrame(stream.streamId, 'Echo', { 'biz-status': '+5', 'biz-message': 'plus' }),
      );
      expect(((await rejectionOf(stream.done)) as BizStatusError).bizStatusCode).toBe(5);
    });

    it.each(['{bad json', '[]', '{"k":1}'])('biz-extra %j -> 12003', async (extra) => {
      await start();
      const { stream, peer } = await opened();
      peer.send(
        trailerFrame(stream.streamId, 'Echo', { 'biz-status': '10001', 'biz-extra': extra }),
      );
      expect(((await rejectionOf(stream.done)) as TTStreamError).kind).toBe(
        TTStreamErrorCode.IllegalBizError,
      );
    });

    it('a payload wins over biz keys', async () => {
      await start();
      const { stream, peer } = await opened();
      peer.send(
        trailerFrame(
          stream.streamId,
          'Echo',
          { 'biz-status': '10001' },
          exceptionBytes('Echo', stream.streamId, 6, 'biz error: boom'),
        ),
      );
      const error = await rejectionOf(stream.done);
      expect(error).toBeInstanceOf(ApplicationException);
      expect((error as ApplicationException).typeId).toBe(6);
    });

    it('a trailer without a HEADER (servers before v0.15.3) ends the stream', async () => {
      await start();
      const { stream, peer } = await opened();
      peer.send(dataFrame(stream.streamId, 'Echo', 'x'), trailerFrame(stream.streamId, 'Echo'));
      expect(await collect(stream)).toEqual(['x']);
      await expect(stream.header()).resolves.toEqual(new Map());
    });
  });

  it('P-10 an undecodable DATA payload fails that stream (with an RST), others go on', async () => {
    await start();
    const json = {
      service: 'TestService',
      method: 'Json',
      requestCodec: jsonCodec<number>(),
      responseCodec: jsonCodec<number>(),
    };
    const stream = client!.openStream(json);
    const other = client!.openStream(json);
    const peer = await raw!.peer();
    await peer.waitFrames(other.streamId, 1);
    peer.send(dataFrame(stream.streamId, 'Json', '{oops'));
    await expect(stream.recv()).rejects.toThrow();
    await expect(stream.done).rejects.toThrow();
    const frames = await peer.waitFrames(stream.streamId, 3);
    expect(frames.map((f) => f.type)).toEqual([H, R, T]);
    peer.send(dataFrame(other.streamId, 'Json', '41'), trailerFrame(other.streamId, 'Json'));
    expect(await collect(other)).toEqual([41]);
  });

  it('recv buffer overflow resets that stream only (12011) and keeps the connection', async () => {
    await start({ recvBuffer: { maxMessages: 4 } });
    const { stream: slow, peer } = await opened();
    const fast = client!.openStream(call('Echo'));
    await peer.waitFrames(fast.streamId, 1);
    for (let i = 0; i < 6; i++) peer.send(dataFrame(slow.streamId, 'Echo', `m${i}`));
    const error = (await rejectionOf(slow.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.InternalCancel);
    expect(error.message).toContain('recv buffer overflow');
    // Data received before the reset is still delivered first.
    const delivered: string[] = [];
    for (;;) {
      const next = await slow.recv().catch(() => undefined);
      if (next === undefined || next.done === true) break;
      delivered.push(next.value);
    }
    expect(delivered).toEqual(['m0', 'm1', 'm2', 'm3']);
    const frames = await peer.waitFrames(slow.streamId, 2);
    expect(frames[1]!.type).toBe(R);
    peer.send(dataFrame(fast.streamId, 'Echo', 'fast'), trailerFrame(fast.streamId, 'Echo'));
    expect(await collect(fast)).toEqual(['fast']);
  });

  it('the per-connection cap pauses reading until the consumer catches up', async () => {
    await start({ maxConnectionBufferBytes: 4096 });
    const { stream, peer } = await opened();
    for (let i = 0; i < 10; i++) peer.send(dataFrame(stream.streamId, 'Echo', 'x'.repeat(1000)));
    await waitFor(() => client!.stats().pausedConnections === 1, 'client reading paused');
    // (A TRAILER would end the stream and give its buffered bytes back, so it comes after.)
    peer.send(trailerFrame(stream.streamId, 'Echo'));
    const all = await collect(stream);
    expect(all).toHaveLength(10);
    expect(client!.stats().pausedConnections).toBe(0);
  });

  it('a refused dial fails the stream with 12006', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) =>
      closed.close(() => {
        resolve();
      }),
    );
    client = new TTStreamClientTransport({ host: '127.0.0.1', port }, { poolSize: 1 });
    const stream = client.openStream(call('Echo'));
    const error = (await rejectionOf(stream.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
  });
});
