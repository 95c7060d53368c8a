import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import { TTStreamServerTransport } from '../../../lib/transport/server-transport.js';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { collect, waitFor } from '../../helpers/wait.js';

async function echoOnce(client: TTStreamClientTransport, text: string): Promise<string[]> {
  const stream = client.openStream(call('Echo'));
  await stream.send(text);
  await stream.closeSend();
  return collect(stream);
}

describe('connection pools', () => {
  let loop: Loopback | undefined;
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
    records.length = 0;
  });

  const start = async (): Promise<Loopback> =>
    startLoopback((s) => {
      registerEcho(s);
      registerHold(s, records);
    });

  it('a long synchronous block right after dialing does not fail a working dial', async () => {
    loop = await start();
    const client = loop.newClient({ dialTimeoutMs: 50 });
    const stream = client.openStream(call('Echo'));
    // Busy for longer than the dial timeout: its timer fires before 'connect' is delivered.
    const until = Date.now() + 200;
    while (Date.now() < until) {
      // spin
    }
    await stream.send('still here');
    await stream.closeSend();
    expect(await collect(stream)).toEqual(['still here']);
  });

  it('mux: streams go round-robin over poolSize connections', async () => {
    loop = await start();
    const client = loop.newClient({ pool: 'mux', poolSize: 2 });
    const streams = [0, 1, 2, 3].map(() => client.openStream(call(HOLD.bidirectional)));
    expect(client.stats()).toMatchObject({
      connections: 2,
      streams: 4,
      streamsPerConnection: [2, 2],
    });
    for (const s of streams) await s.closeSend();
    await Promise.all(streams.map((s) => s.done));
    expect(await echoOnce(client, 'again')).toEqual(['again']);
    expect(client.stats().connections).toBe(2);
    expect(loop.server.stats().connections).toBe(2);
  });

  it('mux: a dead connection is replaced on the next stream', async () => {
    loop = await startLoopback(registerEcho, { server: { idleTimeoutMs: 100 } });
    const client = loop.newClient({ pool: 'mux', poolSize: 1 });
    expect(await echoOnce(client, 'one')).toEqual(['one']);
    // The server closes the idle connection; the client notices and redials.
    await waitFor(() => client.stats().connections === 0, 'idle connection closed by the server');
    expect(await echoOnce(client, 'two')).toEqual(['two']);
  });

  it('long: one stream per connection at a time; idle connections are reused', async () => {
    loop = await start();
    const client = loop.newClient({ pool: 'long' });
    const a = client.openStream(call(HOLD.bidirectional));
    const b = client.openStream(call(HOLD.bidirectional));
    expect(client.stats()).toMatchObject({ connections: 2, streamsPerConnection: [1, 1] });
    await a.closeSend();
    await b.closeSend();
    await Promise.all([a.done, b.done]);
    for (let i = 0; i < 5; i++) expect(await echoOnce(client, `seq ${i}`)).toEqual([`seq ${i}`]);
    expect(client.stats().connections).toBe(2);
    expect(loop.server.stats().connections).toBe(2);
  });

  it('long: idle connections are closed after idleTimeoutMs', async () => {
    loop = await start();
    const client = loop.newClient({ pool: 'long', idleTimeoutMs: 100 });
    expect(await echoOnce(client, 'x')).toEqual(['x']);
    await waitFor(() => client.stats().connections === 0, 'idle long connection closed');
  });

  it('short: one connection per stream, closed when the stream ends', async () => {
    loop = await start();
    const client = loop.newClient({ pool: 'short' });
    const a = client.openStream(call(HOLD.bidirectional));
    const b = client.openStream(call(HOLD.bidirectional));
    expect(client.stats().connections).toBe(2);
    await a.closeSend();
    await b.closeSend();
    await Promise.all([a.done, b.done]);
    await waitFor(() => client.stats().connections === 0, 'short connections closed');
    await waitFor(() => loop!.server.stats().connections === 0, 'server side closed');
  });

  it('openStream after close throws 12006', async () => {
    loop = await start();
    const client = loop.newClient();
    await client.close();
    expect(() => client.openStream(call('Echo'))).toThrow(expect.objectContaining({ kind: 12006 }));
  });
});

describe('unix socket', () => {
  it('serves and calls over a unix domain socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttstream-'));
    const path = join(dir, 'server.sock');
    const server = new TTStreamServerTransport();
    registerEcho(server);
    try {
      expect(await server.listen({ path })).toEqual({ path });
      const client = new TTStreamClientTransport({ path }, { poolSize: 1 });
      expect(await echoOnce(client, 'unix')).toEqual(['unix']);
      await client.close();
      await server.close();
      await waitFor(() => server.stats().connections === 0, 'closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
