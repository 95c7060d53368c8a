import { afterEach, describe, expect, it } from '@jest/globals';
import { type TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import { bytesCodec } from '../../helpers/codecs.js';
import { call, registerEcho, SERVICE } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { aborted, HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { RawServer } from '../../helpers/raw-peer.js';
import { collect, latch, rejectionOf, waitFor } from '../../helpers/wait.js';

describe('memory and backpressure', () => {
  let loop: Loopback | undefined;
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
    records.length = 0;
  });

  it('a handler that falls behind gets its stream reset (RST 12011); other streams go on', async () => {
    const release = latch();
    loop = await startLoopback(
      (s) => {
        registerEcho(s);
        s.register(SERVICE, 'Lazy', {
          mode: 'client',
          requestCodec: bytesCodec,
          responseCodec: bytesCodec,
          handler: async (stream) => {
            await Promise.race([release.promise, aborted(stream.signal)]);
            throw stream.signal.reason;
          },
        });
      },
      { server: { recvBuffer: { maxMessages: 8 } } },
    );
    const healthy = loop.client.openStream(call('Echo'));
    await healthy.send('first');
    const lazy = loop.client.openStream({
      service: SERVICE,
      method: 'Lazy',
      requestCodec: bytesCodec,
      responseCodec: bytesCodec,
    });
    for (let i = 0; i < 20 && !lazy.isEnded; i++)
      await lazy.send(new Uint8Array(10)).catch(() => undefined);
    const error = (await rejectionOf(lazy.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.CanceledByDownstream);
    expect(error.code).toBe(TTStreamErrorCode.InternalCancel);
    expect(error.message).toContain('recv buffer overflow');
    release.resolve();
    expect(await healthy.recv()).toEqual({ done: false, value: 'first' });
    await healthy.closeSend();
    await healthy.done;
  });

  it('default options: a fast server stream of 10 000 small messages is not reset', async () => {
    // The server batches ~1000 small frames into one socket write; one read of them used to
    // overflow a 1024-message receive buffer although the consumer kept up.
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('ServerStream'));
    await stream.send('m:10000');
    await stream.closeSend();
    let received = 0;
    for await (const message of stream) {
      expect(message).toBe(`m-${received}`);
      received++;
    }
    expect(received).toBe(10_000);
    await stream.done;
  });

  it('the receive cap counts bytes: a consumer that stops reading is still reset (12011)', async () => {
    loop = await startLoopback(
      (s) => {
        registerEcho(s);
      },
      { client: { recvBuffer: { maxBytes: 256 * 1024 } } },
    );
    const stream = loop.client.openStream(call('ServerStream'));
    await stream.send(`${'x'.repeat(1000)}:100000`);
    await stream.closeSend();
    // Nobody reads: the stream is reset once its buffer holds 256 KiB.
    const error = (await rejectionOf(stream.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.InternalCancel);
    expect(error.message).toContain('recv buffer overflow');
    expect(stream.bufferedBytes).toBeLessThanOrEqual(256 * 1024);
  });

  it('the per-connection cap pauses reading until the handler catches up', async () => {
    const go = latch();
    loop = await startLoopback(
      (s) => {
        s.register(SERVICE, 'Slow', {
          mode: 'client',
          requestCodec: bytesCodec,
          responseCodec: bytesCodec,
          handler: async (stream) => {
            await go.promise;
            let total = 0;
            for await (const m of stream) total += m.length;
            await stream.send(new TextEncoder().encode(String(total)));
          },
        });
      },
      { server: { maxConnectionBufferBytes: 4096 } },
    );
    const stream = loop.client.openStream({
      service: SERVICE,
      method: 'Slow',
      requestCodec: bytesCodec,
      responseCodec: bytesCodec,
    });
    for (let i = 0; i < 10; i++) await stream.send(new Uint8Array(1000));
    await waitFor(() => loop!.server.stats().pausedConnections === 1, 'reading paused');
    go.resolve();
    await stream.closeSend();
    const [answer] = await collect(stream);
    expect(new TextDecoder().decode(answer)).toBe('10000');
    expect(loop.server.stats().pausedConnections).toBe(0);
  });

  it('send() without await past the send buffer fails with a typed error', async () => {
    loop = await startLoopback(
      (s) => {
        registerHold(s, records);
      },
      {
        client: { sendBuffer: { maxMessages: 16 }, writeHighWaterMark: 64 * 1024 },
      },
    );
    const stream = loop.client.openStream(call(HOLD.client));
    // 8 KiB messages: about 7 fit under the writer's 64 KiB high-water mark and are accepted at
    // once; the next 16 wait (the send buffer); the rest are refused.
    const big = 'x'.repeat(8192);
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => stream.send(big)));
    const rejected = results.filter((r) => r.status === 'rejected');
    const firstRejected = results.findIndex((r) => r.status === 'rejected');
    expect(firstRejected).toBeGreaterThan(16);
    expect(results.slice(firstRejected).every((r) => r.status === 'rejected')).toBe(true);
    const reason = (rejected[0] as PromiseRejectedResult).reason as TTStreamError;
    expect(reason.kind).toBe(TTStreamErrorCode.IllegalOperation);
    expect(reason.message).toContain('send buffer full');
    // Awaited sends never hit the limit.
    for (let i = 0; i < 40; i++) await stream.send(`awaited ${i}`);
    stream.cancel();
  });

  it('send() stays pending while the peer does not read, and resolves after drain', async () => {
    const raw = await RawServer.start();
    const client = new TTStreamClientTransport(
      { host: '127.0.0.1', port: raw.port },
      { poolSize: 1 },
    );
    try {
      const stream = client.openStream({
        service: SERVICE,
        method: 'Big',
        requestCodec: bytesCodec,
        responseCodec: bytesCodec,
      });
      const peer = await raw.peer();
      peer.socket.pause();
      const chunk = new Uint8Array(64 * 1024);
      let pending: Promise<void> | undefined;
      let sent = 0;
      for (let i = 0; i < 2000 && pending === undefined; i++) {
        const p = stream.send(chunk);
        const state = await Promise.race([
          p.then(() => 'done' as const),
          new Promise<'pending'>((resolve) =>
            setTimeout(() => {
              resolve('pending');
            }, 50),
          ),
        ]);
        if (state === 'pending') pending = p;
        else sent++;
      }
      expect(pending).toBeDefined();
      // Memory stays bounded: the sender stopped long before 2000 x 64 KiB.
      expect(sent).toBeLessThan(2000);
      peer.socket.resume();
      await pending;
      stream.cancel();
    } finally {
      await client.close();
      await raw.close();
    }
  });
  it('a send stalled behind a full socket ends with the stream deadline (12015)', async () => {
    const raw = await RawServer.start();
    const client = new TTStreamClientTransport(
      { host: '127.0.0.1', port: raw.port },
      { poolSize: 1 },
    );
    try {
      const stream = client.openStream(
        { service: SERVICE, method: 'Big', requestCodec: bytesCodec, responseCodec: bytesCodec },
        { timeoutMs: 500 },
      );
      const peer = await raw.peer();
      peer.socket.pause();
      const chunk = new Uint8Array(256 * 1024);
      let stalled: Promise<void> | undefined;
      for (let i = 0; i < 2000 && stalled === undefined && !stream.isEnded; i++) {
        const p = stream.send(chunk);
        const state = await Promise.race([
          p.then(
            () => 'done' as const,
            () => 'done' as const,
          ),
          new Promise<'pending'>((resolve) =>
            setTimeout(() => {
              resolve('pending');
            }, 50),
          ),
        ]);
        if (state === 'pending') stalled = p;
      }
      expect(stalled).toBeDefined();
      const error = (await rejectionOf(stalled!)) as TTStreamError;
      expect(error.kind).toBe(TTStreamErrorCode.StreamTimeout);
      await expect(stream.done).rejects.toBe(error);
    } finally {
      await client.close();
      await raw.close();
    }
  });

  it('an unencodable HEADER (a 70 000-byte value) fails the stream locally with 12004', async () => {
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('Echo'), { headers: { big: 'x'.repeat(70_000) } });
    const error = (await rejectionOf(stream.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.IllegalFrame);
    await expect(stream.send('x')).rejects.toBe(error);
    // The connection is unaffected.
    const ok = loop.client.openStream(call('Echo'));
    await ok.send('fine');
    await ok.closeSend();
    expect(await collect(ok)).toEqual(['fine']);
  });
});
