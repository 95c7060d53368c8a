import { describe, expect, it } from '@jest/globals';
import { RECV_MESSAGE_OVERHEAD, RecvBuffer } from '../../../lib/transport/recv-buffer.js';
import { SendLimiter } from '../../../lib/transport/send-limiter.js';

const bytes = (n: number): Uint8Array => new Uint8Array(n);

describe('RecvBuffer', () => {
  it('delivers queued payloads before EOF', async () => {
    const buffer = new RecvBuffer();
    buffer.push(Uint8Array.of(1));
    buffer.push(Uint8Array.of(2));
    buffer.end();
    expect(await buffer.next()).toEqual(Uint8Array.of(1));
    expect(await buffer.next()).toEqual(Uint8Array.of(2));
    expect(await buffer.next()).toBeUndefined();
    expect(await buffer.next()).toBeUndefined();
  });

  it('delivers queued payloads before the error, then the same error every time', async () => {
    const buffer = new RecvBuffer();
    buffer.push(Uint8Array.of(1));
    const error = new Error('end');
    buffer.end(error);
    buffer.push(Uint8Array.of(9)); // ignored after the end
    expect(await buffer.next()).toEqual(Uint8Array.of(1));
    await expect(buffer.next()).rejects.toBe(error);
    await expect(buffer.next()).rejects.toBe(error);
  });

  it('hands a payload straight to a waiting reader', async () => {
    const buffer = new RecvBuffer();
    const waiting = buffer.next();
    buffer.push(Uint8Array.of(7));
    expect(await waiting).toEqual(Uint8Array.of(7));
    expect(buffer.length).toBe(0);
  });

  it('refuses payloads over the message or byte limit (one message always fits)', () => {
    const counted = new RecvBuffer({ maxMessages: 2 });
    expect(counted.push(bytes(1))).toBe(true);
    expect(counted.push(bytes(1))).toBe(true);
    expect(counted.push(bytes(1))).toBe(false);
    const sized = new RecvBuffer({ maxBytes: 10 });
    expect(sized.push(bytes(50))).toBe(true);
    expect(sized.push(bytes(1))).toBe(false);
  });

  it('caps bytes (payload + per-message overhead), not messages, by default', () => {
    const buffer = new RecvBuffer({ maxBytes: 100 * (8 + RECV_MESSAGE_OVERHEAD) });
    for (let i = 0; i < 100; i++) expect(buffer.push(bytes(8))).toBe(true);
    expect(buffer.push(bytes(8))).toBe(false);
    const unlimitedCount = new RecvBuffer();
    for (let i = 0; i < 10_000; i++) expect(unlimitedCount.push(bytes(1))).toBe(true);
    expect(unlimitedCount.bytes).toBe(10_000 * (1 + RECV_MESSAGE_OVERHEAD));
  });

  it('reports byte deltas, and gives everything back at the end', async () => {
    let held = 0;
    const buffer = new RecvBuffer({}, (delta) => (held += delta));
    buffer.push(bytes(10));
    buffer.push(bytes(5));
    expect(held).toBe(15 + 2 * RECV_MESSAGE_OVERHEAD);
    await buffer.next();
    expect(held).toBe(5 + RECV_MESSAGE_OVERHEAD);
    buffer.end();
    expect(held).toBe(0);
    await buffer.next();
    expect(held).toBe(0);
  });

  it('a timed-out wait rejects with onTimeout() and does not steal the next payload', async () => {
    const buffer = new RecvBuffer();
    const timeout = new Error('timeout');
    await expect(buffer.next(5, () => timeout)).rejects.toBe(timeout);
    buffer.push(Uint8Array.of(3));
    expect(await buffer.next()).toEqual(Uint8Array.of(3));
  });

  it('compacts its array while staying FIFO over many messages', async () => {
    const buffer = new RecvBuffer({ maxMessages: 5000 });
    for (let i = 0; i < 3000; i++) buffer.push(Uint8Array.of(i & 0xff));
    for (let i = 0; i < 3000; i++) expect((await buffer.next())![0]).toBe(i & 0xff);
    expect(buffer.length).toBe(0);
  });
});

describe('RecvBuffer.takeMapped (synchronous read)', () => {
  const tag = (payload: Uint8Array | undefined) => (payload === undefined ? 'eof' : payload[0]);

  it('maps a queued payload at once, in order, and leaves the rest queued', () => {
    const buffer = new RecvBuffer();
    buffer.push(Uint8Array.of(1));
    buffer.push(Uint8Array.of(2));
    expect(buffer.takeMapped(tag)).toBe(1);
    expect(buffer.length).toBe(1);
    expect(buffer.takeMapped(tag)).toBe(2);
    expect(buffer.length).toBe(0);
  });

  it('returns undefined (map not called) when nothing is queued and the buffer is live', async () => {
    const buffer = new RecvBuffer();
    let calls = 0;
    expect(buffer.takeMapped(() => ++calls)).toBeUndefined();
    expect(calls).toBe(0);
    // The payload that comes later still goes to nextMapped, not lost.
    const later = buffer.nextMapped(tag);
    buffer.push(Uint8Array.of(5));
    expect(await later).toBe(5);
  });

  it('maps undefined at a clean EOF, after the queued payloads, every time', () => {
    const buffer = new RecvBuffer();
    buffer.push(Uint8Array.of(1));
    buffer.end();
    expect(buffer.takeMapped(tag)).toBe(1);
    expect(buffer.takeMapped(tag)).toBe('eof');
    expect(buffer.takeMapped(tag)).toBe('eof');
  });

  it('returns undefined when the buffer ended with an error (nextMapped rejects with it)', async () => {
    const buffer = new RecvBuffer();
    buffer.push(Uint8Array.of(1));
    const error = new Error('reset');
    buffer.end(error);
    expect(buffer.takeMapped(tag)).toBe(1); // queued before the end: still handed out
    let calls = 0;
    expect(buffer.takeMapped(() => ++calls)).toBeUndefined();
    expect(calls).toBe(0);
    await expect(buffer.nextMapped(tag)).rejects.toBe(error);
  });

  it('throws what map throws (the payload is consumed)', () => {
    const buffer = new RecvBuffer();
    buffer.push(Uint8Array.of(1));
    buffer.push(Uint8Array.of(2));
    expect(() => {
      buffer.takeMapped(() => {
        throw new Error('bad payload');
      });
    }).toThrow('bad payload');
    expect(buffer.takeMapped(tag)).toBe(2);
  });

  it('accounts bytes (bytes, onBytes) exactly as nextMapped does', async () => {
    const deltas = { sync: [] as number[], async: [] as number[] };
    const sync = new RecvBuffer({}, (delta) => deltas.sync.push(delta));
    const viaPromise = new RecvBuffer({}, (delta) => deltas.async.push(delta));
    for (const buffer of [sync, viaPromise]) {
      buffer.push(bytes(10));
      buffer.push(bytes(5));
      buffer.push(bytes(7));
    }
    expect(sync.takeMapped(tag)).toBe(await viaPromise.nextMapped(tag));
    expect(sync.bytes).toBe(viaPromise.bytes);
    expect(sync.bytes).toBe(12 + 2 * RECV_MESSAGE_OVERHEAD);
    expect(sync.takeMapped(tag)).toBe(await viaPromise.nextMapped(tag));
    expect(sync.bytes).toBe(viaPromise.bytes);
    expect(sync.bytes).toBe(7 + RECV_MESSAGE_OVERHEAD);
    sync.end();
    viaPromise.end();
    expect(sync.takeMapped(tag)).toBe(await viaPromise.nextMapped(tag)); // the last payload
    expect(sync.takeMapped(tag)).toBe('eof');
    expect(sync.bytes).toBe(viaPromise.bytes);
    expect(deltas.sync).toEqual(deltas.async);
    expect(deltas.sync.reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe('SendLimiter', () => {
  it('counts pending sends until they settle', async () => {
    const limiter = new SendLimiter({ maxMessages: 2, maxBytes: 100 });
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    void limiter.track(10, first);
    expect(limiter.refuse(10)).toBeUndefined();
    void limiter.track(
      10,
      Promise.reject(new Error('x')).catch(() => undefined),
    );
    expect(limiter.refuse(10)?.kind).toBe(12005);
    release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(limiter.pending).toBe(0);
    expect(limiter.refuse(500)).toBeUndefined(); // one message always fits
  });
});
