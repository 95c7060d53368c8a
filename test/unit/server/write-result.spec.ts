import { describe, expect, it } from '@jest/globals';
import { concat, finalize, of, Subject, throwError } from 'rxjs';
import { writeResult } from '../../../lib/server/write-result.js';

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
});
