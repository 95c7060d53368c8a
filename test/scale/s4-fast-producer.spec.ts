// S-4 (test matrix §4.4): a fast producer against a peer that stops reading. The peer is a raw
// TCP server that accepts and never reads, so the kernel buffers fill and the socket needs a
// 'drain' that never comes. send() must then stay pending (not buffer without bound), memory
// must stay bounded, and a cancel or a deadline must still end the stalled send.
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode } from '../../lib/errors/index.js';
import { TTStreamClientTransport } from '../../lib/transport/client-transport.js';
import type { MessageCodec } from '../../lib/thrift/message-codec.js';
import { getGc, settleHeap, waitUntil } from './scale-support.js';

const CHUNK = 64 * 1024;
/** Upper bound of sends before the stall (kernel buffers on loopback are a few MiB). */
const MAX_SENDS = 4_000;
/** A send still pending after this many consecutive polls is stalled. */
const STALL_POLLS = 5;
const POLL_MS = 200;
const SEND_BUFFER_BYTES = 1024 * 1024;

const payload = new Uint8Array(CHUNK).fill(7);
const chunkCodec: MessageCodec<Uint8Array> = { encode: (v) => v, decode: (b) => b };

/** Settles with 'resolved', the rejection, or 'pending' when still unsettled after `ms`. */
async function stateAfter(promise: Promise<void>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      resolve('pending');
    }, ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP server that accepts connections and never reads from them. */
async function startDeafServer(): Promise<{ server: Server; sockets: Socket[]; port: number }> {
  const sockets: Socket[] = [];
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => undefined);
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, sockets, port: address.port };
}

describe('S-4 fast producer, paused reader', () => {
  let deaf: Awaited<ReturnType<typeof startDeafServer>> | undefined;
  let client: TTStreamClientTransport | undefined;

  afterEach(async () => {
    // The peer goes away first, so the stalled connection closes instead of waiting for drain.
    for (const socket of deaf?.sockets ?? []) socket.destroy();
    await client?.close();
    const server = deaf?.server;
    if (server !== undefined)
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    client = undefined;
    deaf = undefined;
  });

  it('send() stays pending once the socket is full, memory stays bounded, cancel and deadline end stalled sends', async () => {
    deaf = await startDeafServer();
    const deafServer = deaf;
    client = new TTStreamClientTransport(
      { host: '127.0.0.1', port: deafServer.port },
      {
        pool: 'mux',
        poolSize: 1,
        dialTimeoutMs: 10_000,
        sendBuffer: { maxBytes: SEND_BUFFER_BYTES },
      },
    );
    const call = {
      service: 'Deaf',
      method: 'Sink',
      requestCodec: chunkCodec,
      responseCodec: chunkCodec,
    };
    const controller = new AbortController();
    const producer = client.openStream(call, { signal: controller.signal });
    const gc = getGc();
    const heapBefore = await settleHeap(gc);
    const rssBefore = process.memoryUsage().rss;

    // Send as fast as the transport accepts until one send stays pending for STALL_POLLS polls.
    let sent = 0;
    let stalled: Promise<void> | undefined;
    while (stalled === undefined && sent < MAX_SENDS) {
      const sending = producer.send(payload);
      let polls = 0;
      for (;;) {
        const state = await stateAfter(sending, POLL_MS);
        if (state === 'resolved') break;
        if (state !== 'pending') throw state;
        if (++polls >= STALL_POLLS) {
          stalled = sending;
          break;
        }
      }
      if (stalled === undefined) sent++;
    }
    expect(deafServer.sockets).toHaveLength(1);
    // It stalled, after the kernel buffers filled: well before MAX_SENDS.
    expect(stalled).toBeDefined();
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(MAX_SENDS);
    const stalledSend = stalled as Promise<void>;

    // Callers that do not await get refused (12005 "send buffer full") instead of growing memory.
    const extra = Array.from({ length: 64 }, () => producer.send(payload));
    const extraStates = await Promise.all(extra.map((p) => stateAfter(p, 50)));
    const refused = extraStates.filter(
      (s) => s instanceof TTStreamError && s.kind === TTStreamErrorCode.IllegalOperation,
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(String(refused[0])).toContain('send buffer full');
    expect(extraStates.filter((s) => s === 'resolved')).toHaveLength(0);

    // Memory bounded: what is held is the kernel's buffers plus the capped send buffer; the
    // heap retains a few MiB at most (measured after GC: earlier tests in this worker leave garbage).
    const heapHeld = (await settleHeap(gc)) - heapBefore;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(heapHeld).toBeLessThan(64 * 1024 * 1024);
    expect(rssGrowth).toBeLessThan(256 * 1024 * 1024);

    // A deadline ends a send stalled behind the full socket: 12015.
    const timed = client.openStream(call, { timeoutMs: 300 });
    const timedSend = timed.send(payload);
    const timedError = await stateAfter(timedSend, 10_000);
    expect(timedError).toBeInstanceOf(TTStreamError);
    expect((timedError as TTStreamError).kind).toBe(TTStreamErrorCode.StreamTimeout);
    await expect(timed.done).rejects.toBeInstanceOf(TTStreamError);

    // A cancel ends the stalled send of the producer: 12007.
    expect(await stateAfter(stalledSend, 10)).toBe('pending');
    controller.abort();
    const cancelError = await stateAfter(stalledSend, 10_000);
    expect(cancelError).toBeInstanceOf(TTStreamError);
    expect((cancelError as TTStreamError).kind).toBe(TTStreamErrorCode.BizCancel);
    await Promise.allSettled(extra);

    // Both streams are gone from the client's map although the socket never drained.
    const theClient = client;
    await waitUntil(
      () => theClient.stats().streams === 0,
      () => `client ${JSON.stringify(theClient.stats())}`,
    );
  }, 60_000);
});
