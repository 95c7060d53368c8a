/**
 * The promise-free write path of a stream's results: `SendLimiter.notify`, the generator pull
 * resumed by `OutboundPressure.whenDrained`, and `writeResult` over a sink with `sendThen`.
 * A send that waits for the socket must cost no promise of its own (with an OpenTelemetry SDK
 * registered each promise carries an async_hooks cost), and still keep order, backpressure and
 * errors as the promise path does.
 */
import { describe, expect, it } from '@jest/globals';
import { createHook } from 'node:async_hooks';
import { Observable } from 'rxjs';
import { OutboundPressure } from '../../../lib/server/outbound-pressure.js';
import { pullGeneratorInto } from '../../../lib/server/pulled-generator.js';
import { PULLS_PER_TURN } from '../../../lib/server/pull-turns.js';
import { pulledObservable } from '../../../lib/server/pulled-observable.js';
import { type ResultSink, writeResult } from '../../../lib/server/write-result.js';
import { ACCEPTED } from '../../../lib/transport/frame-writer.js';
import { SendLimiter } from '../../../lib/transport/send-limiter.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Promises created while `run` runs synchronously. */
function promisesCreatedBy(run: () => void): number {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') count++;
    },
  });
  hook.enable();
  try {
    run();
  } finally {
    hook.disable();
  }
  return count;
}

/** A writer flush that the test completes or fails by hand. */
function flush(): { written: Promise<void>; complete: () => void; fail: (e: Error) => void } {
  let complete!: () => void;
  let fail!: (e: Error) => void;
  const written = new Promise<void>((resolve, reject) => {
    complete = resolve;
    fail = reject;
  });
  written.catch(() => undefined);
  return { written, complete, fail };
}

describe('SendLimiter.notify', () => {
  it('returns true for a send the socket took at once, and never calls back', async () => {
    const limiter = new SendLimiter();
    const calls: unknown[] = [];
    expect(limiter.notify(10, ACCEPTED, (e) => calls.push(e))).toBe(true);
    await nextTurn();
    expect(calls).toEqual([]);
    expect(limiter.pending).toBe(0);
  });

  it('calls back once per send when their flush completes, counting them until then', async () => {
    const limiter = new SendLimiter();
    const f = flush();
    const calls: string[] = [];
    expect(limiter.notify(10, f.written, (e) => calls.push(`a:${String(e)}`))).toBe(false);
    expect(limiter.notify(20, f.written, (e) => calls.push(`b:${String(e)}`))).toBe(false);
    expect(limiter.pending).toBe(2);
    f.complete();
    await nextTurn();
    expect(calls).toEqual(['a:undefined', 'b:undefined']);
    expect(limiter.pending).toBe(0);
  });

  it('sends on one flush share one reaction to it: no promise per later send', () => {
    const limiter = new SendLimiter();
    const f = flush();
    const first = promisesCreatedBy(() => limiter.notify(1, f.written, () => undefined));
    const later = promisesCreatedBy(() => {
      for (let i = 0; i < 100; i++) limiter.notify(1, f.written, () => undefined);
    });
    expect(first).toBe(1); // the reaction to the flush
    expect(later).toBe(0);
  });

  it('a promise caller and a listener on the same flush both learn the outcome', async () => {
    const limiter = new SendLimiter();
    const f = flush();
    const sent = limiter.track(10, f.written);
    let heard: Error | undefined | 'nothing' = 'nothing';
    limiter.notify(10, f.written, (e) => (heard = e));
    f.fail(new Error('socket gone'));
    await expect(sent).rejects.toThrow('socket gone');
    expect(heard).toBeInstanceOf(Error);
  });

  it('abort calls pending listeners with the stream error at once, and only once', async () => {
    const limiter = new SendLimiter();
    const f = flush();
    const heard: unknown[] = [];
    limiter.notify(10, f.written, (e) => heard.push(e));
    const reason = new Error('stream reset');
    limiter.abort(reason);
    expect(heard).toEqual([reason]);
    f.complete();
    await nextTurn();
    expect(heard).toEqual([reason]);
    // After the end, a send still learns when its frame went (it was queued before the end).
    const g = flush();
    let late: unknown = 'nothing';
    expect(limiter.notify(10, g.written, (e) => (late = e))).toBe(false);
    g.complete();
    await nextTurn();
    expect(late).toBeUndefined();
  });
});

describe('pullGeneratorInto resumed by a callback', () => {
  it('pulls the next message when the pacing calls back, not before', () => {
    const pacing = new OutboundPressure(1024);
    const seen: number[] = [];
    function* numbers(): Generator<number> {
      for (let i = 0; i < 3; i++) yield i;
    }
    new Observable<number>((subscriber) => {
      pullGeneratorInto(subscriber, numbers(), (resume) => pacing.whenDrained(resume));
    }).subscribe((value) => {
      seen.push(value);
      pacing.add(); // "queued", written when the test says so
    });
    expect(seen).toEqual([0]);
    const resumed = promisesCreatedBy(() => {
      pacing.remove(); // written: the pull resumes inside this call
    });
    expect(seen).toEqual([0, 1]);
    expect(resumed).toBe(0);
  });

  it(`yields to the event loop after ${PULLS_PER_TURN} pulls even when every resume is synchronous`, async () => {
    let pulled = 0;
    function* endless(): Generator<number> {
      for (;;) yield pulled++;
    }
    // A pacing that always waits and resumes at once, from inside the wait: the shape of a
    // write accepted by the socket during a resumed pull.
    let depth = 0;
    const subscription = new Observable<number>((subscriber) => {
      pullGeneratorInto(subscriber, endless(), (resume) => {
        if (depth > 0) return false;
        depth++;
        resume();
        depth--;
        return true;
      });
    }).subscribe();
    expect(pulled).toBeLessThan(PULLS_PER_TURN);
    expect(pulled).toBeGreaterThan(PULLS_PER_TURN / 4);
    const firstTurn = pulled;
    await nextTurn();
    expect(pulled).toBeGreaterThan(firstTurn);
    subscription.unsubscribe();
    const stoppedAt = pulled;
    await nextTurn();
    await nextTurn();
    expect(pulled).toBe(stoppedAt);
  });
});

describe('writeResult over a sink with sendThen', () => {
  /** A sink whose sends wait until `writeAll()`; `send` must not be used when `sendThen` is. */
  function callbackSink() {
    const controller = new AbortController();
    const sent: unknown[] = [];
    let waiting: ((error?: Error) => void)[] = [];
    const sink: ResultSink & { sent: unknown[] } = {
      sent,
      signal: controller.signal,
      reset: (error) => {
        controller.abort(error);
      },
      send: () => Promise.reject(new Error('send() used although sendThen exists')),
      sendThen: (message, onWritten) => {
        sent.push(message);
        waiting.push(onWritten);
        return false;
      },
    };
    return {
      sink,
      writeAll: (error?: Error) => {
        const callbacks = waiting;
        waiting = [];
        for (const callback of callbacks) callback(error);
      },
      get waiting() {
        return waiting.length;
      },
    };
  }

  it('pulls a generator one write at a time, in order, with no promise per waiting send', async () => {
    const s = callbackSink();
    const pacing = new OutboundPressure(512);
    function* numbers(): Generator<number> {
      for (let i = 0; i < 200; i++) yield i;
    }
    const done = writeResult(pulledObservable(numbers(), pacing), s.sink, 1024, pacing);
    expect(s.sink.sent).toEqual([0]);
    // Each write resumes the pull synchronously (within one turn: it yields every few messages).
    const created = promisesCreatedBy(() => {
      for (let i = 1; i <= 25; i++) {
        s.writeAll();
        expect(s.sink.sent).toHaveLength(i + 1);
        expect(s.waiting).toBe(1); // never more than one send in flight
      }
    });
    expect(created).toBe(0);
    for (let turns = 0; s.sink.sent.length < 200 && turns < 1000; turns++) {
      if (s.waiting > 0) s.writeAll();
      else await nextTurn();
    }
    s.writeAll();
    await done;
    expect(s.sink.sent).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('a send that fails ends writeResult with its error and stops the generator', async () => {
    const s = callbackSink();
    const pacing = new OutboundPressure(512);
    let finished = false;
    function* numbers(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        finished = true;
      }
    }
    const done = writeResult(pulledObservable(numbers(), pacing), s.sink, 1024, pacing);
    s.writeAll();
    s.writeAll(new Error('connection lost'));
    await expect(done).rejects.toThrow('connection lost');
    expect(finished).toBe(true);
    expect(s.sink.sent).toEqual([0, 1]);
  });
});
