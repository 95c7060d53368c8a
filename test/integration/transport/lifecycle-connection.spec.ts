import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ApplicationException,
  type TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/errors/index.js';
import { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import type { StreamMode } from '../../../lib/transport/server-stream.js';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { collect, rejectionOf, waitFor } from '../../helpers/wait.js';

const KINDS: readonly StreamMode[] = ['bidirectional', 'client', 'server'];

describe('L-7 conn_drop', () => {
  let loop: Loopback | undefined;
  let proxy: FaultProxy | undefined;
  let client: TTStreamClientTransport | undefined;
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    await client?.close();
    await proxy?.close();
    await loop?.close();
    client = undefined;
    proxy = undefined;
    loop = undefined;
    records.length = 0;
  });

  it.each([
    ['fin', 'bidirectional'],
    ['rst', 'bidirectional'],
    ['fin', 'client'],
    ['rst', 'server'],
  ] as const)(
    'cut by %s with 3 %s streams: 12006 on the client, 12013 on the server',
    async (how, mode: StreamMode) => {
      loop = await startLoopback((s) => {
        registerHold(s, records);
        registerEcho(s);
      });
      proxy = await FaultProxy.start(loop.address.port);
      client = new TTStreamClientTransport(
        { host: '127.0.0.1', port: proxy.port },
        { poolSize: 1 },
      );
      const streams = [0, 1, 2].map(() => client!.openStream(call(HOLD[mode])));
      for (const s of streams) await s.send('m0');
      if (mode !== 'client') {
        // Data received before the cut is delivered before the error.
        await waitFor(
          () => records.length === 3 && records.every((r) => r.received.length === 1),
          'requests',
        );
        await stream0Ready(streams[0]!);
      } else {
        await waitFor(
          () => records.length === 3 && records.every((r) => r.received.length === 1),
          'requests',
        );
      }
      proxy.cut(how);
      for (const s of streams) {
        const error = (await rejectionOf(s.done)) as TTStreamError;
        expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
      }
      for (const r of records) {
        expect(((await r.ended) as TTStreamError).kind).toBe(
          TTStreamErrorCode.CanceledByConnectionClose,
        );
      }
      // The next stream reconnects.
      const again = client.openStream(call('Echo'));
      await again.send('again');
      await again.closeSend();
      expect(await collect(again)).toEqual(['again']);
      expect(client.stats().streams).toBe(0);
      expect(proxy.connections).toBe(2);
    },
  );

  async function stream0Ready(stream: {
    recv(): Promise<IteratorResult<string, undefined>>;
  }): Promise<void> {
    const first = await stream.recv();
    expect(first.done).toBe(false);
  }

  it('a dial to a closed port fails the stream with 12006', async () => {
    loop = await startLoopback(registerEcho);
    const port = loop.address.port;
    await loop.close();
    loop = undefined;
    client = new TTStreamClientTransport({ host: '127.0.0.1', port }, { poolSize: 1 });
    const stream = client.openStream(call('Echo'));
    const error = (await rejectionOf(stream.done)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
    await waitFor(() => client!.stats().connections === 0, 'no connections');
  });
});

describe('L-8 server_shutdown', () => {
  let loop: Loopback | undefined;
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
    records.length = 0;
  });

  it.each(KINDS)(
    '%s: finishing streams succeed, the rest are reset after the grace period',
    async (mode) => {
      loop = await startLoopback(
        (s) => {
          registerHold(s, records);
          registerEcho(s);
        },
        { server: { gracePeriodMs: 300 } },
      );
      const finishing = loop.client.openStream(call('Echo'));
      await finishing.send('a');
      expect(await finishing.recv()).toEqual({ done: false, value: 'a' });
      const holding = loop.client.openStream(call(HOLD[mode]));
      await holding.send('sleep');
      await waitFor(() => records.length === 1, 'holding stream');
      const closed = loop.server.close();
      // A new stream during the grace period is refused with an exception trailer.
      const late = loop.client.openStream(call('Echo'));
      const lateError = await rejectionOf(late.done);
      expect(lateError).toBeInstanceOf(ApplicationException);
      expect((lateError as ApplicationException).applicationMessage).toContain('shutting down');
      // A stream that finishes within the grace period succeeds.
      await finishing.send('b');
      await finishing.closeSend();
      expect(await collect(finishing)).toEqual(['b']);
      await finishing.done;
      // The holding stream is reset: RST carrying 12013.
      const error = (await rejectionOf(holding.done)) as TTStreamError;
      expect([
        TTStreamErrorCode.CanceledByDownstream,
        TTStreamErrorCode.TransportClosing,
      ]).toContain(error.kind);
      if (error.kind === TTStreamErrorCode.CanceledByDownstream) expect(error.code).toBe(12013);
      expect(((await records[0]!.ended) as TTStreamError).kind).toBe(
        TTStreamErrorCode.CanceledByConnectionClose,
      );
      await closed;
      expect(loop.server.stats().connections).toBe(0);
    },
  );

  it('the listener stops at once: a new connection during the grace period is refused', async () => {
    loop = await startLoopback(
      (s) => {
        registerHold(s, records);
      },
      { server: { gracePeriodMs: 300 } },
    );
    const holding = loop.client.openStream(call(HOLD.bidirectional));
    await holding.send('sleep');
    await waitFor(() => records.length === 1, 'holding stream');
    const closed = loop.server.close();
    const other = loop.newClient();
    const refused = other.openStream(call(HOLD.bidirectional));
    expect(((await rejectionOf(refused.done)) as TTStreamError).kind).toBe(
      TTStreamErrorCode.TransportClosing,
    );
    await rejectionOf(holding.done);
    await closed;
  });

  it('client close(): its streams fail with 12006, the server handlers see 12013', async () => {
    loop = await startLoopback((s) => {
      registerHold(s, records);
    });
    const client = loop.newClient();
    const streams = [0, 1].map(() => client.openStream(call(HOLD.bidirectional)));
    for (const s of streams) await s.send('sleep');
    await waitFor(() => records.length === 2, 'server streams');
    await client.close();
    for (const s of streams) {
      expect(((await rejectionOf(s.done)) as TTStreamError).kind).toBe(
        TTStreamErrorCode.TransportClosing,
      );
    }
    for (const r of records) {
      const error = (await r.ended) as TTStreamError;
      expect(error.kind).toBe(TTStreamErrorCode.CanceledByConnectionClose);
      // Kitex's exact text (no side tag), as its handlers see it when the client goes away.
      expect(error.message).toBe('[ttstream error, code=12013] canceled by connection closed');
    }
    expect(client.stats().connections).toBe(0);
  });
});
