// Issue 11 item 3: a frame over maxFrameBytes costs its own stream only, and the default is at
// least as large as what Kitex accepts (17 and 20 MiB messages).
import { afterEach, describe, expect, it } from '@jest/globals';
import { type TTStreamError } from '../../../lib/errors/index.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../../lib/protocol/ttheader-constants.js';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { collect, rejectionOf } from '../../helpers/wait.js';

const MIB = 1024 * 1024;

describe('oversize frames', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it('a 20 MiB message goes through with the default cap (64 MiB), both ways', async () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(64 * MIB);
    loop = await startLoopback(registerEcho);
    const big = 'y'.repeat(20 * MIB);
    const stream = loop.client.openStream(call('Echo'));
    await stream.send(big);
    await stream.closeSend();
    const [echoed] = await collect(stream);
    expect(echoed?.length).toBe(big.length);
  }, 30_000);

  it('a message over the server cap resets its stream; another stream on the connection goes on', async () => {
    loop = await startLoopback(registerEcho, { server: { maxFrameBytes: MIB } });
    const healthy = loop.client.openStream(call('Echo'));
    await healthy.send('before');
    const victim = loop.client.openStream(call('Echo'));
    await victim.send('z'.repeat(2 * MIB));
    const error = (await rejectionOf(collect(victim))) as TTStreamError;
    // The server resets the stream (RST): the client sees 12009 carrying the server's 12004 text.
    expect(error.message).toContain(`bytes exceeds maxFrameBytes ${MIB}`);
    await healthy.send('after');
    await healthy.closeSend();
    expect(await collect(healthy)).toEqual(['before', 'after']);
    expect(loop.server.stats().connections).toBe(1);
  }, 30_000);
});
