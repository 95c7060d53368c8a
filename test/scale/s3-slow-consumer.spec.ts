// S-3 (test matrix §4.4): a slow consumer. The server streams 64 KiB messages to a client
// stream that reads slowly; a second, fast stream on the same connection is unaffected; the slow
// stream's buffer never holds more than the per-stream cap, and on overflow that stream alone is
// reset with a clear error (12011 "recv buffer overflow").
import { afterEach, describe, expect, it } from '@jest/globals';
import { TTStreamError, TTStreamErrorCode } from '../../lib/errors/index.js';
import type { TcpAddress } from '../../lib/transport/address.js';
import { TTStreamClientTransport } from '../../lib/transport/client-transport.js';
import type { ClientStream } from '../../lib/transport/client-stream.js';
import { TTStreamServerTransport } from '../../lib/transport/server-transport.js';
import type { MessageCodec } from '../../lib/thrift/message-codec.js';
import { type Tagged, taggedCodec, waitUntil } from './scale-support.js';

const SERVICE = 'SlowService';
const CHUNK = 64 * 1024;
/** The most a flood handler sends (bounds the test if nothing ever overflows). */
const FLOOD_LIMIT = 4_000;
/** The client's per-stream receive cap: 16 messages of 64 KiB. */
const RECV_CAP_BYTES = 1024 * 1024;
const FAST_ROUND_TRIPS = 300;
/** The slow reader takes one message per this many ms. */
const SLOW_READ_MS = 20;

/** 64 KiB messages whose first 4 bytes are the sequence number. */
const chunkCodec: MessageCodec<number> = {
  encode(seq) {
    const out = new Uint8Array(CHUNK);
    new DataView(out.buffer).setUint32(0, seq);
    return out;
  },
  decode(bytes) {
    if (bytes.byteLength !== CHUNK) throw new Error(`chunk of ${bytes.byteLength} bytes`);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  },
};

/** Bytes held in a client stream's receive buffer. */
function bufferedBytes(stream: ClientStream<unknown, unknown>): number {
  return stream.bufferedBytes;
}

describe('S-3 slow consumer', () => {
  let server: TTStreamServerTransport | undefined;
  let client: TTStreamClientTransport | undefined;

  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  it('the slow stream is capped and reset alone (12011); a fast stream on the same connection completes', async () => {
    let floodSent = 0;
    let floodError: unknown = undefined;
    server = new TTStreamServerTransport({ gracePeriodMs: 1000 });
    server.register(SERVICE, 'Flood', {
      mode: 'server',
      requestCodec: taggedCodec,
      responseCodec: chunkCodec,
      handler: async (stream) => {
        await stream.recv();
        try {
          for (let seq = 0; seq < FLOOD_LIMIT; seq++) {
            await stream.send(seq);
            floodSent++;
          }
        } catch (error) {
          floodError = error;
        }
      },
    });
    server.register(SERVICE, 'Echo', {
      mode: 'bidirectional',
      requestCodec: taggedCodec,
      responseCodec: taggedCodec,
      handler: async (stream) => {
        for await (const message of stream) await stream.send(message);
      },
    });
    const address = (await server.listen({ host: '127.0.0.1', port: 0 })) as TcpAddress;
    client = new TTStreamClientTransport(address, {
      pool: 'mux',
      poolSize: 1,
      dialTimeoutMs: 10_000,
      recvBuffer: { maxBytes: RECV_CAP_BYTES },
    });
    const theClient = client;
    const theServer = server;

    const fast = theClient.openStream({
      service: SERVICE,
      method: 'Echo',
      requestCodec: taggedCodec,
      responseCodec: taggedCodec,
    });
    await fast.send({ streamIndex: 0, seq: 0 });
    expect((await fast.recv()).value).toEqual({ streamIndex: 0, seq: 0 });

    const slow = theClient.openStream({
      service: SERVICE,
      method: 'Flood',
      requestCodec: taggedCodec,
      responseCodec: chunkCodec,
    });
    await slow.send({ streamIndex: 1, seq: 0 });
    await slow.closeSend();

    // The most the slow stream's buffer ever held, sampled on every turn of a polling timer
    // and on every read.
    let maxBuffered = 0;
    const sample = (): void => {
      maxBuffered = Math.max(maxBuffered, bufferedBytes(slow));
    };
    const sampler = setInterval(sample, 1);
    try {
      await waitUntil(
        () => bufferedBytes(slow) > 0 || slow.isEnded,
        () => 'the flood to start',
      );

      // The slow reader: one message per SLOW_READ_MS until the stream fails.
      const slowReader = (async (): Promise<{ received: number[]; error: unknown }> => {
        const received: number[] = [];
        try {
          for (;;) {
            sample();
            const next = await slow.recv();
            if (next.done === true) return { received, error: undefined };
            received.push(next.value);
            await new Promise((resolve) => setTimeout(resolve, SLOW_READ_MS));
          }
        } catch (error) {
          return { received, error };
        }
      })();

      // The fast stream keeps doing round trips meanwhile.
      const fastReplies: Tagged[] = [];
      for (let seq = 1; seq <= FAST_ROUND_TRIPS; seq++) {
        await fast.send({ streamIndex: 0, seq });
        const reply = await fast.recv();
        if (reply.done === true) throw new Error('fast stream ended early');
        fastReplies.push(reply.value);
      }
      await fast.closeSend();
      expect((await fast.recv()).done).toBe(true);
      await fast.done;
      expect(fastReplies.every((m, i) => m.streamIndex === 0 && m.seq === i + 1)).toBe(true);

      const slowResult = await slowReader;
      // Overflow: the slow stream alone failed, with a clear 12011 error.
      expect(slowResult.error).toBeInstanceOf(TTStreamError);
      const error = slowResult.error as TTStreamError;
      expect(error.kind).toBe(TTStreamErrorCode.InternalCancel);
      expect(error.message).toContain('recv buffer overflow');
      // What was received came in order, before the error.
      expect(slowResult.received.length).toBeGreaterThan(0);
      expect(slowResult.received.every((seq, i) => seq === i)).toBe(true);
      await expect(slow.done).rejects.toBe(error);
    } finally {
      clearInterval(sampler);
    }

    // The cap held: never more than RECV_CAP_BYTES buffered for the slow stream.
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(RECV_CAP_BYTES);

    // The server's flood ended on the reset long before its limit; nothing is left open and
    // the shared connection is still up and reading.
    await waitUntil(
      () => theServer.stats().streams === 0 && theServer.stats().handlers === 0,
      () => `server ${JSON.stringify(theServer.stats())}`,
    );
    expect(floodError).toBeInstanceOf(TTStreamError);
    expect(floodSent).toBeLessThan(FLOOD_LIMIT);
    expect(theClient.stats()).toMatchObject({ connections: 1, streams: 0, pausedConnections: 0 });
    expect(theServer.stats().connections).toBe(1);
  }, 60_000);
});
