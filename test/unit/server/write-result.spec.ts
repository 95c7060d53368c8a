import { describe, expect, it } from '@jest/globals';
import { concat, finalize, of, Subject, throwError } from 'rxjs';
import { OutboundPressure } from '../../../lib/server/outbound-pressure.js';
import { writeResult } from '../../../lib/server/write-result.js';
import { ACCEPTED } from '../../../lib/transport/index.js';

function sink() {
  const controller = new AbortController();
  const sent: unknown[] = [];
  let gate: Promise<void> | undefined;
  return {
    sent,
    controller,
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    signal: controller.signal,
    reset(error: unknown) {
      controller.abort(error);
    },
    async send(message: unknown) {
      if (gate !== undefined) await gate;
      sent.push(message);
    },
  };
}

describe('writeResult', () => {
  it('writes plain values, Promises resolved by Nest, nothing for undefined', async () => {
    const s = sink();
    await writeResult({ a: 1 }, s);
    await writeResult(undefined, s);
    expect(s.sent).toEqual([{ a: 1 }]);
  });

  it('writes every value before the error, then rejects with it', async () => {
    const s = sink();
    const release = s.hold();
    const done = writeResult(
      concat(
        of(1, 2, 3),
        throwError(() => 'boom'),
      ),
      s,
    );
    release();
    await expect(done).rejects.toBe('boom');
    expect(s.sent).toEqual([1, 2, 3]);
  });

  it('flattens an AsyncIterable emitted by the Observable (interceptors wrap iterables)', async () => {
    const s = sink();
    async function* gen() {
      yield 'a';
      yield 'b';
    }
    await writeResult(of(gen()), s);
    expect(s.sent).toEqual(['a', 'b']);
  });

  it('unsubscribes the source and rejects with the reason on abort', async () => {
    const s = sink();
    let finalized = false;
    const source = new Subject<number>();
    const done = writeResult(source.pipe(finalize(() => (finalized = true))), s);
    source.next(1);
    s.controller.abort(new Error('cancelled'));
    await expect(done).rejects.toThrow('cancelled');
    expect(finalized).toBe(true);
  });

  it('fails past the high-water mark', async () => {
    const s = sink();
    s.hold();
    const source = new Subject<number>();
    const done = writeResult(source, s, 2);
    for (let i = 0; i < 5; i++) source.next(i);
    await expect(done).rejects.toThrow(/more than 2 messages/);
    expect(source.observed).toBe(false);
  });

  it('writes synchronously while the sink accepts at once (ACCEPTED: nothing awaited)', () => {
    const controller = new AbortController();
    const sent: unknown[] = [];
    const accepting = {
      signal: controller.signal,
      reset: () => undefined,
      send: (message: unknown) => {
        sent.push(message);
        return ACCEPTED;
      },
    };
    const pressure = new OutboundPressure(1024);
    const source = new Subject<number>();
    const done = writeResult(source, accepting, 1024, pressure);
    source.next(1);
    expect(sent).toEqual([1]);
    expect(pressure.queued).toBe(0);
    // Nothing waits to be written, so a pulled generator would go on at once.
    expect(pressure.drained()).toBeUndefined();
    source.next(2);
    source.next(3);
    expect(sent).toEqual([1, 2, 3]);
    expect(pressure.queued).toBe(0);
    source.complete();
    return done;
  });

  it('holds later values while a send waits, then writes them in order', async () => {
    const controller = new AbortController();
    const sent: unknown[] = [];
    let release!: () => void;
    const pending = new Promise<void>((resolve) => (release = resolve));
    const waitingOnce = {
      signal: controller.signal,
      reset: () => undefined,
      send: (message: unknown) => {
        sent.push(message);
        return message === 'a' ? pending : ACCEPTED;
      },
    };
    const pressure = new OutboundPressure(1024);
    const source = new Subject<string>();
    const done = writeResult(source, waitingOnce, 1024, pressure);
    source.next('a');
    source.next('b');
    source.next('c');
    expect(sent).toEqual(['a']);
    expect(pressure.queued).toBe(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['a']); // still waiting on the first write
    source.complete();
    release();
    await done;
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(pressure.queued).toBe(0);
  });

  it('a send that rejects ends writeResult with that error and unsubscribes the source', async () => {
    const controller = new AbortController();
    const failure = new Error('socket gone');
    const sent: unknown[] = [];
    const failing = {
      signal: controller.signal,
      reset: () => undefined,
      send: (message: unknown) => {
        sent.push(message);
        return message === 2 ? Promise.reject(failure) : ACCEPTED;
      },
    };
    let finalized = false;
    const source = new Subject<number>();
    const done = writeResult(source.pipe(finalize(() => (finalized = true))), failing);
    source.next(1);
    source.next(2);
    source.next(3); // queued behind the failing send: never written
    await expect(done).rejects.toBe(failure);
    expect(finalized).toBe(true);
    expect(source.observed).toBe(false);
    expect(sent).toEqual([1, 2]);
  });
});
