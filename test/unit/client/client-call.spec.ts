import { describe, expect, it } from '@jest/globals';
import { finalize, lastValueFrom, of, Subject, toArray } from 'rxjs';
import { callObservable, type CallStream } from '../../../lib/client/client-call.js';

/** A scripted stream: responses come from `responses`, sends are recorded. */
function fakeStream(responses: unknown[], end: { error?: unknown } = {}) {
  const log: string[] = [];
  let index = 0;
  let ended = false;
  const stream: CallStream = {
    send: async (m) => {
      log.push(`send ${JSON.stringify(m)}`);
    },
    closeSend: async () => {
      log.push('closeSend');
    },
    recv: async () => {
      await new Promise((r) => setTimeout(r, 1));
      if (index < responses.length) return { done: false, value: responses[index++] };
      ended = true;
      if (end.error !== undefined) throw end.error as Error;
      return { done: true, value: undefined };
    },
    cancel: () => {
      log.push('cancel');
      ended = true;
    },
    header: async () => new Map([['x-handler', 'h']]),
    trailer: async () => new Map([['x-sent', String(responses.length)]]),
    get isEnded() {
      return ended;
    },
  };
  return { stream, log };
}

describe('callObservable', () => {
  it('is cold: nothing is opened before subscription', async () => {
    let opened = 0;
    const { stream } = fakeStream([1]);
    const call = callObservable(() => (opened++, stream), { kind: 'one', request: 'r' });
    expect(opened).toBe(0);
    expect(await lastValueFrom(call)).toBe(1);
    expect(opened).toBe(1);
  });

  it('sends one request then half-closes; reports header and trailer', async () => {
    const { stream, log } = fakeStream([1, 2]);
    const seen: unknown[] = [];
    const out = await lastValueFrom(
      callObservable(
        () => stream,
        { kind: 'one', request: 'r' },
        {
          onHeader: (h) => seen.push(h),
          onTrailer: (t) => seen.push(t),
        },
      ).pipe(toArray()),
    );
    expect(out).toEqual([1, 2]);
    expect(log).toEqual(['send "r"', 'closeSend']);
    await new Promise((r) => setTimeout(r, 1));
    expect(seen).toEqual([{ 'x-handler': 'h' }, { 'x-sent': '2' }]);
  });

  it('streams Observable requests in order and half-closes on complete', async () => {
    const { stream, log } = fakeStream([]);
    await lastValueFrom(
      callObservable(() => stream, { kind: 'many', requests: of('a', 'b') }).pipe(toArray()),
    );
    expect(log).toEqual(['send "a"', 'send "b"', 'closeSend']);
  });

  it('surfaces the stream error; unsubscribing early cancels and unsubscribes the requests', async () => {
    const failing = fakeStream([1], { error: new Error('biz') });
    await expect(
      lastValueFrom(callObservable(() => failing.stream, { kind: 'one', request: 0 })),
    ).rejects.toThrow('biz');
    const endless = fakeStream([1, 2, 3]);
    let upstreamDone = false;
    const requests = new Subject<string>();
    const sub = callObservable(() => endless.stream, {
      kind: 'many',
      requests: requests.pipe(finalize(() => (upstreamDone = true))),
    }).subscribe();
    sub.unsubscribe();
    expect(endless.log).toContain('cancel');
    expect(upstreamDone).toBe(true);
  });

  it('a request Observable error cancels the call with that error', async () => {
    const { stream, log } = fakeStream([1, 2, 3]);
    const requests = new Subject<string>();
    const done = lastValueFrom(callObservable(() => stream, { kind: 'many', requests }));
    requests.error(new Error('upstream failed'));
    await expect(done).rejects.toThrow('upstream failed');
    expect(log).toContain('cancel');
  });
});
