import { afterEach, describe, expect, it } from '@jest/globals';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { collect } from '../../helpers/wait.js';

// L-1 ok_{kind}: our client against our server over loopback, all three kinds.
describe('L-1 ok over loopback', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it('bidi: echoes in order, header before data, trailer after EOF', async () => {
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('Echo'));
    const sizes = [27182, 8, 1828, 45904];
    const received: string[] = [];
    for (const size of sizes) {
      await stream.send('x'.repeat(size));
      const next = await stream.recv();
      expect(next.done).toBe(false);
      received.push(next.value!);
    }
    await expect(stream.header()).resolves.toBeInstanceOf(Map);
    await stream.closeSend();
    expect(await stream.recv()).toEqual({ done: true, value: undefined });
    expect(received.map((r) => r.length)).toEqual(sizes);
    await expect(stream.trailer()).resolves.toEqual(new Map());
    await expect(stream.done).resolves.toBeUndefined();
    expect(loop.client.stats().streams).toBe(0);
  });

  it('client streaming: one aggregated response', async () => {
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('EchoClient'));
    for (const m of ['a', 'b', 'c']) await stream.send(m);
    await stream.closeSend();
    expect(await collect(stream)).toEqual(['a,b,c']);
    await stream.done;
  });

  it('server streaming: n responses then EOF', async () => {
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('ServerStream'));
    await stream.send('hi:4');
    await stream.closeSend();
    expect(await collect(stream)).toEqual(['hi-0', 'hi-1', 'hi-2', 'hi-3']);
    await stream.done;
  });

  it('empty stream: bidi with no messages ends cleanly', async () => {
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('Echo'));
    await stream.closeSend();
    expect(await collect(stream)).toEqual([]);
    await expect(stream.header()).resolves.toEqual(new Map());
    await stream.done;
  });

  it('empty message payloads round-trip', async () => {
    loop = await startLoopback(registerEcho);
    const stream = loop.client.openStream(call('Echo'));
    await stream.send('');
    expect(await stream.recv()).toEqual({ done: false, value: '' });
    await stream.closeSend();
    await stream.done;
  });

  it('many concurrent streams share one connection', async () => {
    loop = await startLoopback(registerEcho);
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const stream = loop!.client.openStream(call('Echo'));
        await stream.send(`m${i}`);
        await stream.closeSend();
        return collect(stream);
      }),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => [`m${i}`]));
    expect(loop.client.stats().connections).toBe(1);
  });
});
