import { describe, expect, it } from '@jest/globals';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { TTStreamError } from '../../../lib/errors/index.js';
import { requestObservable } from '../../../lib/server/request-observable.js';

function source(items: number[]) {
  const state = { reads: 0, returned: false };
  const iterable: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const value = items[state.reads++];
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        state.returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { iterable, state };
}

describe('requestObservable', () => {
  it('reads nothing before subscription, then everything in order', async () => {
    const { iterable, state } = source([1, 2, 3]);
    const requests = requestObservable(iterable);
    await new Promise((r) => setTimeout(r, 5));
    expect(state.reads).toBe(0);
    expect(await lastValueFrom(requests.pipe(toArray()))).toEqual([1, 2, 3]);
  });

  it('stops reading on unsubscribe', async () => {
    const { iterable, state } = source([1, 2, 3]);
    expect(await firstValueFrom(requestObservable(iterable).pipe(take(1)))).toBe(1);
    expect(state.returned).toBe(true);
  });

  it('errors with the read failure, and refuses a second subscription', async () => {
    const failing: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('reset')) }),
    };
    const requests = requestObservable(failing);
    await expect(lastValueFrom(requests)).rejects.toThrow('reset');
    await expect(lastValueFrom(requests)).rejects.toBeInstanceOf(TTStreamError);
  });
});
