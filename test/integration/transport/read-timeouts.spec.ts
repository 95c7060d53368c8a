// Issue 11 item 6: slow senders cannot hold a connection forever.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import {
  DEFAULT_FIRST_FRAME_TIMEOUT_MS,
  DEFAULT_FRAME_TIMEOUT_MS,
} from '../../../lib/transport/index.js';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { dataFrame, headerFrame } from '../../helpers/frames.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { collect, waitFor } from '../../helpers/wait.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('read timeouts', () => {
  let loop: Loopback | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await loop?.close();
    loop = undefined;
  });

  async function rawSocket(
    port: number,
  ): Promise<{ socket: Socket; closedAfter: Promise<number> }> {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    const opened = performance.now();
    const closedAfter = new Promise<number>((resolve) => {
      socket.once('close', () => {
        resolve(performance.now() - opened);
      });
    });
    return { socket, closedAfter };
  }

  async function start(server: object) {
    const errors: string[] = [];
    loop = await startLoopback(registerEcho, { server });
    loop.server.on('error', (error) => errors.push(error.message));
    return { loop, errors };
  }

  it('defaults: 60 s for a frame to arrive, 30 s for a new connection to send its first', () => {
    expect(DEFAULT_FRAME_TIMEOUT_MS).toBe(60_000);
    expect(DEFAULT_FIRST_FRAME_TIMEOUT_MS).toBe(30_000);
  });

  it('a connection that sends nothing is closed after firstFrameTimeoutMs', async () => {
    const { loop, errors } = await start({ firstFrameTimeoutMs: 300 });
    const { closedAfter } = await rawSocket(loop.address.port);
    const after = await closedAfter;
    expect(after).toBeGreaterThanOrEqual(250);
    expect(after).toBeLessThan(5000);
    await waitFor(() => errors.length > 0, 'the error event');
    expect(errors.join()).toContain('no frame within 300 ms of connecting');
  });

  it('a frame trickled one byte at a time is cut off after frameTimeoutMs', async () => {
    const { loop, errors } = await start({ frameTimeoutMs: 300, firstFrameTimeoutMs: 0 });
    const { socket, closedAfter } = await rawSocket(loop.address.port);
    const bytes = encodeFrame(headerFrame(1, 'Echo'));
    const state = { closed: false };
    void closedAfter.then(() => (state.closed = true));
    // One byte per 50 ms: the frame would take about 2 s (bounded loop: its length).
    for (const byte of bytes) {
      if (state.closed) break;
      socket.write(Uint8Array.of(byte));
      await sleep(50);
    }
    const after = await closedAfter;
    expect(after).toBeLessThan(1500);
    await waitFor(() => errors.length > 0, 'the error event');
    expect(errors.join()).toContain('a frame took over 300 ms to arrive');
  });

  it('a well-behaved stream that lasts longer than both timeouts is not disturbed', async () => {
    const { loop, errors } = await start({ frameTimeoutMs: 200, firstFrameTimeoutMs: 200 });
    const stream = loop.client.openStream(call('Echo'));
    const sent: string[] = [];
    for (let i = 0; i < 8; i++) {
      await stream.send(`m${i}`);
      sent.push(`m${i}`);
      await sleep(100);
    }
    await stream.closeSend();
    expect(await collect(stream)).toEqual(sent);
    expect(errors).toEqual([]);
  });

  it('an idle gap between frames is not a slow frame', async () => {
    const { loop, errors } = await start({ frameTimeoutMs: 200, firstFrameTimeoutMs: 0 });
    const { socket, closedAfter } = await rawSocket(loop.address.port);
    let closed = false;
    void closedAfter.then(() => (closed = true));
    socket.write(encodeFrame(headerFrame(1, 'Echo')));
    await sleep(400);
    socket.write(encodeFrame(dataFrame(1, 'Echo', 'late but whole')));
    await sleep(100);
    expect(closed).toBe(false);
    expect(errors).toEqual([]);
  });
});
