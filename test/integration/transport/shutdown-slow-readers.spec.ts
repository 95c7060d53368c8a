// Issue 11 item 10: when the grace period ends, every stream still open gets its RST 12013, also
// on connections whose reader is slow, instead of a bare TCP EOF.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { decodeApplicationExceptionMessage } from '../../../lib/thrift/application-exception.js';
import { bytesCodec } from '../../helpers/codecs.js';
import { SERVICE } from '../../helpers/echo-service.js';
import { dataFrame, headerFrame, trailerFrame } from '../../helpers/frames.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STREAMS = 10;

describe('graceful shutdown with slow readers', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
  });

  it('every open stream gets RST 12013 before the connection closes', async () => {
    loop = await startLoopback(
      (s) => {
        s.register(SERVICE, 'Stream', {
          mode: 'server',
          requestCodec: bytesCodec,
          responseCodec: bytesCodec,
          handler: async (stream) => {
            await stream.recv();
            const payload = new Uint8Array(8 * 1024);
            // Bounded: at most 100,000 messages, and it stops when the stream is reset.
            for (let i = 0; i < 100_000 && !stream.signal.aborted; i++) {
              await stream.send(payload).catch(() => undefined);
            }
          },
        });
      },
      { server: { gracePeriodMs: 300 } },
    );
    const socket = connect(loop.address.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    const rst = new Map<number, number>();
    const state = { eof: false };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FrameType.Rst) {
          rst.set(frame.streamId, decodeApplicationExceptionMessage(frame.payload).typeId);
        }
      }
    });
    socket.on('end', () => {
      state.eof = true;
    });
    socket.pause();
    const ids = Array.from({ length: STREAMS }, (_, i) => 1 + 2 * i);
    for (const id of ids) {
      socket.write(encodeFrame(headerFrame(id, 'Stream')));
      socket.write(encodeFrame(dataFrame(id, 'Stream', new Uint8Array([1]))));
      socket.write(encodeFrame(trailerFrame(id, 'Stream')));
    }
    await sleep(300);
    const closing = loop.server.close();
    // The reader wakes up only well after the grace period has ended, then reads slowly.
    await sleep(1800);
    const started = performance.now();
    for (let i = 0; i < 400 && !state.eof; i++) {
      socket.resume();
      await sleep(5);
      socket.pause();
      await sleep(10);
    }
    socket.resume();
    await closing;
    for (let i = 0; i < 100 && !state.eof; i++) await sleep(20);
    socket.destroy();
    expect(state.eof).toBe(true);
    expect([...rst.keys()].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(rst.values())).toEqual(new Set([12013]));
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
