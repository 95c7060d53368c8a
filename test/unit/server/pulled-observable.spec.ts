import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import { OutboundPressure } from '../../../lib/server/outbound-pressure.js';
import { pulledObservable } from '../../../lib/server/pulled-observable.js';

describe('pulledObservable', () => {
  it('pulls an async generator in order, one message at a time', async () => {
    let pulled = 0;
    async function* numbers() {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield i;
      }
    }
    expect(await lastValueFrom(pulledObservable(numbers()).pipe(toArray()))).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect(pulled).toBe(5);
  });

  it('lets the event loop turn while a fast generator is pulled (other sockets get served)', async () => {
    const total = 10_000;
    let pulled = 0;
    async function* fast() {
      for (let i = 0; i < total; i++) {
        pulled++;
        yield i;
      }
    }
    // A pacing whose writes are always done: the pull never waits on I/O, only on microtasks.
    const pacing = new OutboundPressure(1);
    let pulledWhenTheLoopTurned = -1;
    setImmediate(() => {
      pulledWhenTheLoopTurned = pulled;
    });
    const count = await new Promise<number>((resolve, reject) => {
      let seen = 0;
      pulledObservable(fast(), pacing).subscribe({
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
  });

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
