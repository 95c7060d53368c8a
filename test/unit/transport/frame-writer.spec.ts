import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { TTStreamErrorCode } from '../../../lib/errors/index.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { FrameWriter, type FrameSink } from '../../../lib/transport/frame-writer.js';

/** A socket stand-in: records writes; `full` makes write() return false until `drain()`. */
class FakeSink extends EventEmitter {
  writes: Uint8Array[] = [];
  corks = 0;
  full = false;
  writableNeedDrain = false;
  writableLength = 0;
  destroyed = false;
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    // nothing
  }
  write(chunk: Uint8Array): boolean {
    this.writes.push(chunk);
    if (this.full) {
      this.writableNeedDrain = true;
      this.writableLength += chunk.length;
    }
    return !this.full;
  }
  drain(): void {
    this.full = false;
    this.writableNeedDrain = false;
    this.writableLength = 0;
    this.emit('drain');
  }
  decoded(): { type: number; streamId: number; payload: number }[] {
    const decoder = new FrameDecoder();
    return this.writes
      .flatMap((w) => decoder.push(w))
      .map((f) => ({ type: f.type, streamId: f.streamId, payload: f.payload.length }));
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const data = (streamId: number, size: number) => ({
  type: FrameType.Data,
  streamId,
  method: 'M',
  payload: new Uint8Array(size),
});

describe('FrameWriter', () => {
  it('frames written in one tick leave in one socket write, in order', async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    const sent = [1, 2, 3, 4, 5].map((id) => writer.write(data(id, 10)));
    expect(sink.writes).toHaveLength(0);
    await Promise.all(sent);
    await writer.whenIdle();
    expect(sink.writes).toHaveLength(1);
    expect(writer.flushes).toBe(1);
    expect(sink.decoded().map((f) => f.streamId)).toEqual([1, 2, 3, 4, 5]);
  });

  it('large payloads are written by reference inside cork/uncork', async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    const big = data(1, 100_000);
    await Promise.all([writer.write(data(2, 5)), writer.write(big), writer.write(data(3, 5))]);
    await writer.whenIdle();
    expect(sink.corks).toBe(1);
    expect(sink.writes.some((w) => w === big.payload)).toBe(true);
    expect(sink.decoded().map((f) => [f.streamId, f.payload])).toEqual([
      [2, 5],
      [1, 100_000],
      [3, 5],
    ]);
  });

  it('write() resolves at once below the high-water mark, so awaited writes still batch', async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    for (let i = 0; i < 20; i++) await writer.write(data(i, 100));
    expect(sink.writes).toHaveLength(0);
    await writer.whenIdle();
    await turn();
    expect(sink.writes).toHaveLength(1);
    expect(sink.decoded()).toHaveLength(20);
  });

  it('over the high-water mark, write() waits for the flush', async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink, { highWaterMark: 1000 });
    let resolved = false;
    const big = writer.write(data(1, 2000)).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    await big;
    expect(sink.writes.length).toBeGreaterThan(0);
  });

  it('while the socket needs a drain, writes wait for it', async () => {
    const sink = new FakeSink();
    sink.full = true;
    const writer = new FrameWriter(sink as unknown as FrameSink);
    await writer.write(data(1, 10)); // room: accepted at once
    await turn();
    expect(sink.writes).toHaveLength(1);
    expect(sink.writableNeedDrain).toBe(true);
    let resolved = false;
    const second = writer.write(data(2, 10)).then(() => (resolved = true));
    await turn();
    await turn();
    expect(resolved).toBe(false);
    expect(sink.writes).toHaveLength(1); // held back until drain
    expect(writer.pendingFrames).toBe(2);
    sink.drain();
    await second;
    expect(sink.decoded().map((f) => f.streamId)).toEqual([1, 2]);
    await writer.whenIdle();
  });

  it('caps one flush at about 1 MiB and writes the rest on later turns, in order', async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    // 3000 x 1 KiB in one turn: about 3 MiB.
    const sent = Array.from({ length: 3000 }, (_, i) => writer.write(data(i, 1024)));
    await Promise.all(sent);
    await writer.whenIdle();
    expect(writer.flushes).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sink.writes.map((w) => w.length))).toBeLessThanOrEqual(1024 * 1024 + 2048);
    expect(sink.decoded().map((f) => f.streamId)).toEqual(
      Array.from({ length: 3000 }, (_, i) => i),
    );
  });

  it('a frame over maxFrameBytes is refused locally and nothing is written', async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink, { maxFrameBytes: 100 });
    await expect(writer.write(data(1, 200))).rejects.toMatchObject({
      kind: TTStreamErrorCode.IllegalFrame,
    });
    await writer.write(data(1, 20));
    await writer.whenIdle();
    expect(sink.decoded()).toEqual([{ type: FrameType.Data, streamId: 1, payload: 20 }]);
  });

  it('fail() rejects queued and later writes', async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink, { highWaterMark: 0 });
    const queued = writer.write(data(1, 1));
    const error = new Error('closed');
    writer.fail(error);
    await expect(queued).rejects.toBe(error);
    await expect(writer.write(data(2, 1))).rejects.toBe(error);
    await writer.whenIdle();
    await turn();
    expect(sink.writes).toHaveLength(0);
  });

  it('reuses a staging buffer only after the socket reported it written', async () => {
    // The socket reports writes late (one round later): bytes it holds must not change before.
    class LateSink extends FakeSink {
      copies: Uint8Array[] = [];
      held: {
        chunk: Uint8Array;
        copy: Uint8Array;
        done: ((error?: Error | null) => void) | undefined;
      }[] = [];
      override write(chunk: Uint8Array, done?: (error?: Error | null) => void): boolean {
        const copy = Uint8Array.from(chunk);
        this.held.push({ chunk, copy, done });
        this.copies.push(copy);
        return super.write(chunk);
      }
    }
    const sink = new LateSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    let streamId = 0;
    for (let round = 0; round < 6; round++) {
      const earlier = sink.held.splice(0);
      // 300 x 1 KiB a round: several full staging buffers retired per flush.
      const sent = Array.from({ length: 300 }, () => {
        const frame = data(++streamId, 1024);
        frame.payload.fill(streamId & 0xff);
        return writer.write(frame);
      });
      await Promise.all(sent);
      await writer.whenIdle();
      for (const { chunk, copy } of [...earlier, ...sink.held]) expect(chunk).toEqual(copy);
      for (const { done } of earlier) done?.();
    }
    // What the socket got (its own copies: written buffers are reused, as intended).
    const frames = new FrameDecoder().push(Buffer.concat(sink.copies));
    expect(frames.map((f) => f.streamId)).toEqual(Array.from({ length: 1800 }, (_, i) => i + 1));
    expect(frames.every((f) => f.payload.every((b) => b === (f.streamId & 0xff)))).toBe(true);
  });

  it("drop() takes a reset stream's queued large DATA frames out, leaving a valid byte stream", async () => {
    const sink = new FakeSink();
    const writer = new FrameWriter(sink as unknown as FrameSink);
    sink.full = true;
    // The first flush goes to the socket and waits for drain; the rest stays queued.
    void writer.write(data(1, 40_000));
    await turn();
    const queued = [
      writer.write(data(3, 40_000)),
      writer.write(data(1, 100)),
      writer.write(data(1, 40_000)),
      writer.write(data(5, 40_000)),
      writer.write({ type: FrameType.Rst, streamId: 1, method: 'M' }),
      writer.write(data(1, 2_000_000)),
    ];
    writer.drop(1);
    expect(writer.droppedBytes).toBeGreaterThan(2_040_000);
    sink.drain();
    await Promise.all(queued);
    for (let i = 0; i < 5 && writer.pendingFrames > 0; i++) {
      sink.drain();
      await turn();
    }
    await writer.whenIdle();
    expect(sink.decoded()).toEqual([
      { type: FrameType.Data, streamId: 1, payload: 40_000 }, // already handed to the socket
      { type: FrameType.Data, streamId: 3, payload: 40_000 },
      { type: FrameType.Data, streamId: 1, payload: 100 }, // small frames stay
      { type: FrameType.Data, streamId: 5, payload: 40_000 },
      { type: FrameType.Rst, streamId: 1, payload: 0 },
    ]);
  });
});
