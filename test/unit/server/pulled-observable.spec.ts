import { describe, expect, it } from '@jest/globals';
import { from, lastValueFrom, take, toArray } from 'rxjs';
import { OutboundPressure } from '../../../lib/server/outbound-pressure.js';
import {
  expandPulledSources,
  isPulledSource,
  pulledObservable,
} from '../../../lib/server/pulled-observable.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('pulledObservable', () => {
  it.each([
    ['an async generator', 'async'],
    ['a function* generator', 'sync'],
  ] as const)('pulls %s in order, one message at a time', async (_name, kind) => {
    const counter = { pulled: 0 };
    async function* numbersAsync() {
      for (let i = 0; i < 5; i++) {
        counter.pulled++;
        yield i;
      }
    }
    function* numbersSync() {
      for (let i = 0; i < 5; i++) {
        counter.pulled++;
        yield i;
      }
    }
    const source = kind === 'async' ? numbersAsync() : numbersSync();
    expect(await lastValueFrom(pulledObservable<number>(source).pipe(toArray()))).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect(counter.pulled).toBe(5);
  });

  it.each([
    ['an async generator', 'async'],
    ['a function* generator', 'sync'],
  ] as const)(
    'lets the event loop turn while %s is pulled fast (other sockets get served)',
    async (_name, kind) => {
      const total = 10_000;
      const counter = { pulled: 0 };
      async function* fastAsync() {
        for (let i = 0; i < total; i++) {
          counter.pulled++;
          yield i;
        }
      }
      function* fastSync() {
        for (let i = 0; i < total; i++) {
          counter.pulled++;
          yield i;
        }
      }
      // A pacing whose writes are always done: the pull never waits on I/O.
      const pacing = new OutboundPressure(1);
      let pulledWhenTheLoopTurned = -1;
      setImmediate(() => {
        pulledWhenTheLoopTurned = counter.pulled;
      });
      const count = await new Promise<number>((resolve, reject) => {
        let seen = 0;
        pulledObservable<number>(kind === 'async' ? fastAsync() : fastSync(), pacing).subscribe({
          next: () => {
            seen++;
          },
          error: reject,
          complete: () => {
            resolve(seen);
          },
        });
      });
      expect(count).toBe(total);
      // Without the yield the whole generator ran before the immediate callback.
      expect(pulledWhenTheLoopTurned).toBeGreaterThan(0);
      expect(pulledWhenTheLoopTurned).toBeLessThanOrEqual(128);
    },
  );

  it('calls return() on the generator when unsubscribed (its finally runs)', async () => {
    const state = { finished: false };
    async function* endless() {
      try {
        for (let i = 0; i < 1_000_000; i++) yield i;
      } finally {
        state.finished = true;
      }
    }
    const subscription = pulledObservable(endless()).subscribe({
      next: (value) => {
        if (value === 3) subscription.unsubscribe();
      },
    });
    for (let i = 0; i < 50 && !state.finished; i++) await new Promise((r) => setTimeout(r, 5));
    expect(state.finished).toBe(true);
  });
});

describe('pulledObservable with a function* generator', () => {
  it('does not advance the generator while a write is pending; resumes after it', async () => {
    let pulled = 0;
    function* numbers() {
      for (let i = 0; i < 3; i++) {
        pulled++;
        yield i;
      }
    }
    const pacing = new OutboundPressure(1024);
    const seen: number[] = [];
    let completed = false;
    // Each message is "queued" and stays unwritten until remove(): drained() is a promise.
    pulledObservable(numbers(), pacing).subscribe({
      next: (value) => {
        seen.push(value);
        pacing.add();
      },
      complete: () => (completed = true),
    });
    expect(seen).toEqual([0]);
    expect(pulled).toBe(1);
    await nextTurn();
    await nextTurn();
    expect(pulled).toBe(1); // still waiting for the write of 0
    pacing.remove();
    await nextTurn();
    expect(seen).toEqual([0, 1]);
    expect(pulled).toBe(2);
    pacing.remove();
    await nextTurn();
    expect(seen).toEqual([0, 1, 2]);
    expect(completed).toBe(false);
    pacing.remove();
    await nextTurn();
    expect(completed).toBe(true);
  });

  it("unsubscribing runs the generator's finally and stops pulling", async () => {
    const state = { finished: false, pulled: 0 };
    function* endless() {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          state.pulled++;
          yield i;
        }
      } finally {
        state.finished = true;
      }
    }
    // take(3) unsubscribes during the synchronous pull, on the third message.
    const out: number[] = [];
    pulledObservable(endless())
      .pipe(take(3))
      .subscribe((value) => out.push(value));
    expect(out).toEqual([0, 1, 2]);
    expect(state.finished).toBe(true);
    await nextTurn();
    expect(state.pulled).toBe(3);
    // And a generator waiting for a write is closed by unsubscribe too.
    const paused = { finished: false, pulled: 0 };
    function* waiting() {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          paused.pulled++;
          yield i;
        }
      } finally {
        paused.finished = true;
      }
    }
    const pacing = new OutboundPressure(1024);
    const subscription = pulledObservable(waiting(), pacing).subscribe(() => {
      pacing.add();
    });
    expect(paused.finished).toBe(false);
    subscription.unsubscribe();
    expect(paused.finished).toBe(true);
    pacing.remove(); // the pending pull wakes up, sees the unsubscribe and stops
    await nextTurn();
    expect(paused.pulled).toBe(1);
  });

  it('a generator that throws after 2 yields gives 2 messages, then the error', async () => {
    const failure = new Error('out of stock');
    function* failing() {
      yield 'a';
      yield 'b';
      throw failure;
    }
    const seen: string[] = [];
    const error = await new Promise((resolve, reject) => {
      pulledObservable(failing()).subscribe({
        next: (value) => seen.push(value),
        error: resolve,
        complete: () => {
          reject(new Error('completed'));
        },
      });
    });
    expect(seen).toEqual(['a', 'b']);
    expect(error).toBe(failure);
  });

  it('an Observable that emits a generator has it expanded; an array stays one value', async () => {
    function* letters() {
      yield 'x';
      yield 'y';
    }
    const out = await lastValueFrom(
      from<unknown[]>([1, letters(), [2, 3], 4]).pipe(expandPulledSources(), toArray()),
    );
    expect(out).toEqual([1, 'x', 'y', [2, 3], 4]);
  });
});

describe('isPulledSource', () => {
  it('is false for arrays, strings, Maps, Sets, array iterators, plain objects and scalars', () => {
    for (const value of [
      [1, 2],
      'abc',
      new Map([[1, 2]]),
      new Set([1]),
      [1, 2][Symbol.iterator](),
      { a: 1 },
      { next: () => ({ done: true }) },
      null,
      undefined,
      3,
    ]) {
      expect(isPulledSource(value)).toBe(false);
    }
  });

  it('is true for async generators and generators', () => {
    async function* asyncGen() {
      yield 1;
    }
    function* gen() {
      yield 1;
    }
    expect(isPulledSource(asyncGen())).toBe(true);
    expect(isPulledSource(gen())).toBe(true);
  });
});
