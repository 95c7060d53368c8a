import { describe, expect, it } from '@jest/globals';
import { StreamRegistry, type RegisteredStream } from '../../../lib/transport/stream-registry.js';
import { nextStreamId, setNextStreamIdForTesting } from '../../../lib/transport/stream-id.js';

class FakeStream implements RegisteredStream {
  failedWith: unknown[] = [];
  constructor(readonly streamId: number) {}
  failFromConnection(error: unknown): void {
    this.failedWith.push(error);
  }
}

describe('StreamRegistry', () => {
  it('adds, finds, replaces and deletes by id', () => {
    const registry = new StreamRegistry<FakeStream>();
    const a = new FakeStream(1);
    expect(registry.add(a)).toBeUndefined();
    expect(registry.get(1)).toBe(a);
    const b = new FakeStream(1);
    expect(registry.add(b)).toBe(a);
    expect(registry.delete(a)).toBe(false); // not the registered one any more
    expect(registry.size).toBe(1);
    expect(registry.delete(b)).toBe(true);
    expect(registry.get(1)).toBeUndefined();
  });

  it('failAll fails every stream with one error and empties the map', () => {
    const registry = new StreamRegistry<FakeStream>();
    const streams = [1, -5, 0x7fffffff].map((id) => new FakeStream(id));
    for (const s of streams) registry.add(s);
    const error = new Error('gone');
    registry.failAll(error);
    expect(registry.size).toBe(0);
    for (const s of streams) expect(s.failedWith).toEqual([error]);
  });
});

describe('stream ids', () => {
  it('count up from the set value, wrap to negative and skip 0', () => {
    setNextStreamIdForTesting(0x7ffffffe);
    expect([nextStreamId(), nextStreamId(), nextStreamId()]).toEqual([
      0x7ffffffe, 0x7fffffff, -0x80000000,
    ]);
    setNextStreamIdForTesting(-2);
    expect([nextStreamId(), nextStreamId(), nextStreamId()]).toEqual([-2, -1, 1]);
    setNextStreamIdForTesting(0);
    expect(nextStreamId()).toBe(1);
  });
});
