import { describe, expect, it } from '@jest/globals';
import { finalize, lastValueFrom, of, Subject, toArray } from 'rxjs';
import { callObservable, type CallStream } from '../../../lib/client/client-call.js';
import { ACCEPTED } from '../../../lib/transport/index.js';

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

  describe('without a promise per message', () => {
    /**
     * A stream whose sends the socket takes at once (`ACCEPTED`) unless `sendResult` says
     * otherwise, whose receive side is scripted by `tryRecv`/`recv`; everything goes to `log`.
     */
    function syncStream(
      options: {
        sendResult?: (message: unknown) => Promise<void>;
        tryRecv?: () => IteratorResult<unknown, undefined> | undefined;
        recv?: () => Promise<IteratorResult<unknown, undefined>>;
      } = {},
    ) {
      const log: string[] = [];
      let ended = false;
      const stream: CallStream = {
        send: (m) => {
          log.push(`send ${JSON.stringify(m)}`);
          return options.sendResult?.(m) ?? ACCEPTED;
        },
        closeSend: () => {
          log.push('closeSend');
          return ACCEPTED;
        },
        recv: () => {
          log.push('recv');
          return options.recv?.() ?? new Promise(() => undefined);
        },
        ...(options.tryRecv === undefined ? {} : { tryRecv: options.tryRecv }),
        cancel: () => {
          log.push('cancel');
          ended = true;
        },
        header: () => new Promise(() => undefined),
        trailer: () => new Promise(() => undefined),
        get isEnded() {
          return ended;
        },
      };
      return { stream, log };
    }

    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

    it('sends every request the socket takes at once synchronously on subscribe, then half-closes', () => {
      const { stream, log } = syncStream();
      const subscription = callObservable(() => stream, {
        kind: 'many',
        requests: of(1, 2, 3),
      }).subscribe();
      // No await: all three went out within subscribe().
      expect(log).toEqual(['send 1', 'send 2', 'send 3', 'closeSend', 'recv']);
      subscription.unsubscribe();
    });

    it('holds the next request until a send that waits has settled', async () => {
      let release!: () => void;
      const first = new Promise<void>((resolve) => (release = resolve));
      const { stream, log } = syncStream({
        sendResult: (m) => (m === 1 ? first : ACCEPTED),
      });
      const subscription = callObservable(() => stream, {
        kind: 'many',
        requests: of(1, 2, 3),
      }).subscribe();
      expect(log.filter((line) => line !== 'recv')).toEqual(['send 1']);
      await turn();
      await turn();
      expect(log.filter((line) => line !== 'recv')).toEqual(['send 1']);
      release();
      await turn();
      expect(log.filter((line) => line !== 'recv')).toEqual([
        'send 1',
        'send 2',
        'send 3',
        'closeSend',
      ]);
      subscription.unsubscribe();
    });

    it('a send that fails drops the queued requests and fails the call', async () => {
      const failure = new Error('cannot encode');
      const { stream, log } = syncStream({
        sendResult: (m) => (m === 1 ? Promise.reject(failure) : ACCEPTED),
      });
      const error = await new Promise((resolve) => {
        callObservable(() => stream, { kind: 'many', requests: of(1, 2, 3) }).subscribe({
          error: resolve,
        });
      });
      expect(error).toBe(failure);
      expect(log).toContain('cancel');
      expect(log).not.toContain('send 2');
      expect(log).not.toContain('closeSend');
    });

    it('delivers messages already received synchronously, and only then waits on recv()', async () => {
      const queued: IteratorResult<unknown, undefined>[] = [
        { done: false, value: 'a' },
        { done: false, value: 'b' },
        { done: false, value: 'c' },
      ];
      let finish!: (result: IteratorResult<unknown, undefined>) => void;
      const { stream, log } = syncStream({
        tryRecv: () => {
          log.push('tryRecv');
          return queued.shift();
        },
        recv: () => new Promise((resolve) => (finish = resolve)),
      });
      let completed = false;
      callObservable(() => stream, { kind: 'one', request: 'r' }).subscribe({
        next: (value) => log.push(`next ${String(value)}`),
        complete: () => (completed = true),
      });
      // All of this happened inside subscribe(), before any await.
      expect(log.filter((line) => !line.startsWith('send') && line !== 'closeSend')).toEqual([
        'tryRecv',
        'next a',
        'tryRecv',
        'next b',
        'tryRecv',
        'next c',
        'tryRecv',
        'recv',
      ]);
      finish({ done: true, value: undefined });
      await turn();
      expect(completed).toBe(true);
    });
  });
});
