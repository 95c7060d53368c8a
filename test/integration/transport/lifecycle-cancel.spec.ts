import { afterEach, describe, expect, it } from '@jest/globals';
import { TTStreamError, TTStreamErrorCode } from '../../../lib/errors/index.js';
import type { StreamMode } from '../../../lib/transport/server-stream.js';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { collect, rejectionOf, waitFor } from '../../helpers/wait.js';

const KINDS: readonly StreamMode[] = ['bidirectional', 'client', 'server'];

function expectUpstreamCancel(reason: unknown, code: number, path: string[] | undefined): void {
  expect(reason).toBeInstanceOf(TTStreamError);
  const error = reason as TTStreamError;
  expect(error.kind).toBe(TTStreamErrorCode.CanceledByUpstream);
  expect(error.code).toBe(code);
  expect(error.side).toBe('server');
  expect(error.remote).toBe(true);
  expect(error.canceledPath).toEqual(path);
}

describe('L-4 client_cancel', () => {
  let loop: Loopback | undefined;
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
    records.length = 0;
  });

  const start = async (): Promise<Loopback> =>
    startLoopback(
      (s) => {
        registerHold(s, records);
        registerEcho(s);
      },
      { client: { serviceName: 'A' } },
    );

  it.each(KINDS)(
    '%s: cancel before any request -> local 12007, server 12010 with path A',
    async (mode) => {
      loop = await start();
      const stream = loop.client.openStream(call(HOLD[mode]));
      await waitFor(() => records.length === 1, 'server stream');
      stream.cancel();
      const local = await rejectionOf(stream.done);
      expect((local as TTStreamError).kind).toBe(TTStreamErrorCode.BizCancel);
      expect((local as TTStreamError).side).toBe('client');
      expect(stream.signal.aborted).toBe(true);
      expectUpstreamCancel(await records[0]!.ended, 12007, ['A']);
      expect(((await records[0]!.ended) as Error).message).toContain('[canceled path: A]');
      await waitFor(() => loop!.server.stats().streams === 0, 'server stream released');
    },
  );

  it.each(KINDS)('%s: cancel after the first send', async (mode) => {
    loop = await start();
    const stream = loop.client.openStream(call(HOLD[mode]));
    await stream.send('m0');
    await waitFor(() => records[0]?.received.length === 1, 'first message');
    stream.cancel();
    await expect(stream.done).rejects.toMatchObject({ kind: 12007 });
    expectUpstreamCancel(await records[0]!.ended, 12007, ['A']);
    // Send and recv afterwards fail with the same error.
    const error = await rejectionOf(stream.done);
    await expect(stream.send('late')).rejects.toBe(error);
  });

  it.each(['bidirectional', 'server'] as const)(
    '%s: cancel after the first response (data first, then the error)',
    async (mode) => {
      loop = await start();
      const stream = loop.client.openStream(call(HOLD[mode]));
      await stream.send('m0');
      expect(await stream.recv()).toEqual({ done: false, value: mode === 'server' ? 'r0' : 'm0' });
      stream.cancel();
      await expect(stream.recv()).rejects.toMatchObject({ kind: 12007 });
      expectUpstreamCancel(await records[0]!.ended, 12007, ['A']);
    },
  );

  it('an aborted AbortSignal cancels with 12007; cancel(cause) gives 12008', async () => {
    loop = await start();
    const controller = new AbortController();
    const first = loop.client.openStream(call(HOLD.bidirectional), { signal: controller.signal });
    await first.send('m0');
    await first.recv();
    controller.abort();
    await expect(first.done).rejects.toMatchObject({ kind: 12007 });
    const second = loop.client.openStream(call(HOLD.bidirectional));
    await second.send('m0');
    await second.recv();
    second.cancel(new Error('user reason'));
    await expect(second.done).rejects.toMatchObject({ kind: 12008 });
    expectUpstreamCancel(await records[1]!.ended, 12008, ['A']);
    const already = AbortSignal.abort();
    const third = loop.client.openStream(call(HOLD.bidirectional), { signal: already });
    await expect(third.done).rejects.toMatchObject({ kind: 12007 });
  });

  it('50 streams sharing one AbortSignal: no MaxListenersExceededWarning, all cancelled', async () => {
    loop = await start();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const streams = Array.from({ length: 50 }, () =>
        loop!.client.openStream(call(HOLD.bidirectional), { signal: controller.signal }),
      );
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a tick
      controller.abort();
      for (const stream of streams)
        await expect(stream.done).rejects.toMatchObject({ kind: 12007 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      // Streams that ended on their own unsubscribe: a later stream on the same signal still works.
      const other = new AbortController();
      const ended = loop.client.openStream(call('Echo'), { signal: other.signal });
      await ended.send('x');
      await ended.closeSend();
      expect(await collect(ended)).toEqual(['x']);
      const live = loop.client.openStream(call(HOLD.bidirectional), { signal: other.signal });
      other.abort();
      await expect(live.done).rejects.toMatchObject({ kind: 12007 });
    } finally {
      process.removeListener('warning', onWarning);
    }
  });

  it('breaking out of for-await cancels the stream', async () => {
    loop = await start();
    const stream = loop.client.openStream(call(HOLD.server));
    await stream.send('go');
    await stream.closeSend();
    for await (const m of stream) {
      expect(m).toBe('r0');
      break;
    }
    await expect(stream.done).rejects.toMatchObject({ kind: 12007 });
    expectUpstreamCancel(await records[0]!.ended, 12007, ['A']);
  });
});

describe('L-5 server_early_return', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it.each(KINDS)(
    '%s: data then EOF; later send gives 12005; the handler sees 12012',
    async (mode) => {
      let handlerSignal: AbortSignal | undefined;
      loop = await startLoopback((s) => {
        s.register('TestService', 'Early', {
          mode,
          requestCodec: {
            encode: (v: string) => Buffer.from(v),
            decode: (b) => Buffer.from(b).toString(),
          },
          responseCodec: {
            encode: (v: string) => Buffer.from(v),
            decode: (b) => Buffer.from(b).toString(),
          },
          handler: async (stream) => {
            handlerSignal = stream.signal;
            await stream.recv();
            await stream.send('only');
          },
        });
      });
      const stream = loop.client.openStream(call('Early'));
      await stream.send('first');
      expect(await stream.recv()).toEqual({ done: false, value: 'only' });
      expect(await stream.recv()).toEqual({ done: true, value: undefined });
      await stream.done;
      const late = await rejectionOf(stream.send('late'));
      expect((late as TTStreamError).kind).toBe(TTStreamErrorCode.IllegalOperation);
      await waitFor(() => handlerSignal?.aborted === true, 'handler signal');
      expect((handlerSignal!.reason as TTStreamError).kind).toBe(
        TTStreamErrorCode.CanceledByHandlerReturn,
      );
      expect((handlerSignal!.reason as TTStreamError).message).toBe(
        '[ttstream error, code=12012] [server-side stream] canceled by business handler returning',
      );
    },
  );
});

describe('L-5 server reset variant', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it('stream.cancel() on the server sends an RST; the client sees 12009 with our code', async () => {
    let handlerReason: unknown;
    loop = await startLoopback((s) => {
      s.register('TestService', 'Reset', {
        mode: 'bidirectional',
        requestCodec: {
          encode: (v: string) => Buffer.from(v),
          decode: (b) => Buffer.from(b).toString(),
        },
        responseCodec: {
          encode: (v: string) => Buffer.from(v),
          decode: (b) => Buffer.from(b).toString(),
        },
        handler: async (stream) => {
          await stream.send('before reset');
          stream.cancel(
            new TTStreamError(TTStreamErrorCode.InternalCancel, { detail: 'outran the socket' }),
          );
          handlerReason = stream.signal.reason;
          await expect(stream.send('after')).rejects.toBe(handlerReason);
        },
      });
    });
    const stream = loop.client.openStream(call('Reset'));
    expect(await stream.recv()).toEqual({ done: false, value: 'before reset' });
    const error = (await rejectionOf(stream.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.CanceledByDownstream);
    expect(error.code).toBe(TTStreamErrorCode.InternalCancel);
    expect(error.detail).toBe('outran the socket');
    await waitFor(() => handlerReason !== undefined, 'handler ran');
  });
});

describe('L-6 timeouts', () => {
  let loop: Loopback | undefined;
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
    records.length = 0;
  });

  const start = async (): Promise<Loopback> =>
    startLoopback(
      (s) => {
        registerHold(s, records);
      },
      { client: { serviceName: 'A' } },
    );

  it.each(KINDS)(
    '%s: (a) stream deadline -> local 12015; the server is aborted with 12015',
    async (mode) => {
      loop = await start();
      const stream = loop.client.openStream(call(HOLD[mode]), { timeoutMs: 150 });
      await stream.send('sleep');
      const error = (await rejectionOf(stream.done)) as TTStreamError;
      expect(error.kind).toBe(TTStreamErrorCode.StreamTimeout);
      expect(error.message).toBe(
        '[ttstream error, code=12015] [client-side stream] stream timeout, timeout in ctx: 150ms',
      );
      await waitFor(() => records.length === 1, 'server stream');
      expect(records[0]!.stream.remoteTimeoutMs).toBe(150);
      const reason = (await records[0]!.ended) as TTStreamError;
      expect(reason.code).toBe(TTStreamErrorCode.StreamTimeout);
    },
  );

  it.each(KINDS)('%s: (b) recv timeout -> 12014 and an RST the server sees', async (mode) => {
    loop = await start();
    const stream = loop.client.openStream(call(HOLD[mode]), { recvTimeoutMs: 100 });
    await stream.send('sleep');
    if (mode === 'server') expect(await stream.recv()).toEqual({ done: false, value: 'r0' });
    const error = (await rejectionOf(stream.recv())) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.RecvTimeout);
    expect(error.message).toBe(
      '[ttstream error, code=12014] [client-side stream] stream Recv timeout, timeout config={Timeout:100ms DisableCancelRemote:false}',
    );
    await expect(stream.done).rejects.toBe(error);
    expectUpstreamCancel(await records[0]!.ended, 12014, ['A']);
  });

  it('(c) disableCancelRemote: 12014 is retryable, no RST, the next recv succeeds', async () => {
    loop = await start();
    const stream = loop.client.openStream(call(HOLD.bidirectional), {
      recvTimeoutMs: 100,
      disableCancelRemote: true,
    });
    await expect(stream.recv()).rejects.toMatchObject({ kind: TTStreamErrorCode.RecvTimeout });
    expect(stream.isEnded).toBe(false);
    await stream.send('hello');
    expect(await stream.recv()).toEqual({ done: false, value: 'hello' });
    await stream.closeSend();
    expect(await stream.recv()).toEqual({ done: true, value: undefined });
    await stream.done;
  });

  it('(d) a deadline that does not pass leaves no late error', async () => {
    loop = await start();
    const stream = loop.client.openStream(call(HOLD.bidirectional), { timeoutMs: 5000 });
    await stream.send('x');
    expect(await stream.recv()).toEqual({ done: false, value: 'x' });
    await stream.closeSend();
    await stream.done;
    expect(stream.signal.aborted).toBe(false);
  });
});
