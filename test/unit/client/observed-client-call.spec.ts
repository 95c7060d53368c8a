/**
 * What telemetry costs a client stream per message: nothing when no plug-in asks for messages
 * (the transport's stream is used as is, and its own counts end the call; the caller's
 * subscriber goes to the call as is when the call reports its own end), a wrapper only for a
 * plug-in that hears each message.
 */
import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, Observable, type Subscriber, toArray } from 'rxjs';
import { callObservable, type CallStream } from '../../../lib/client/client-call.js';
import { type ClientCallTap, observedCall } from '../../../lib/client/observed-client-call.js';
import {
  type RpcEndStats,
  type RpcObserver,
  type RpcOutcome,
} from '../../../lib/telemetry/rpc-lifecycle.js';
import { type TelemetryHub } from '../../../lib/telemetry/telemetry-hub.js';

/** A transport stream that counts as ClientStream does: 2 sends, then 3 responses. */
function fakeStream(): CallStream & { sentCount: number; receivedCount: number } {
  const responses = ['r0', 'r1', 'r2'];
  return {
    sentCount: 0,
    receivedCount: 0,
    send(this: { sentCount: number }) {
      this.sentCount++;
      return Promise.resolve();
    },
    closeSend: () => Promise.resolve(),
    recv(this: { receivedCount: number }) {
      const value = responses.shift();
      if (value === undefined) return Promise.resolve({ done: true, value: undefined });
      this.receivedCount++;
      return Promise.resolve({ done: false, value });
    },
    cancel: () => undefined,
    header: () => Promise.resolve(new Map()),
    trailer: () => Promise.resolve(new Map()),
    isEnded: false,
  };
}

/** The start of the bidi call every test makes. */
const BIDI_START = {
  service: 'TestService',
  method: 'Echo',
  kind: 'bidirectional',
  headers: {},
  timeoutMs: undefined,
  destService: 'TestService',
  peer: undefined,
  idlPackage: undefined,
  localService: undefined,
} as const;

/** Runs one call through `observedCall` with a hub whose only observer is `observer`. */
async function runCall(observer: RpcObserver) {
  const hub: TelemetryHub = { start: () => observer, connection: undefined };
  const stream = fakeStream();
  let handed: CallStream | undefined;
  const make = (tap: ClientCallTap | undefined) =>
    new Observable<unknown>((subscriber) => {
      const s = tap === undefined ? stream : tap.stream(stream);
      handed = s;
      void (async () => {
        await s.send('q0');
        await s.send('q1');
        for (let r = await s.recv(); r.done !== true; r = await s.recv()) subscriber.next(r.value);
        subscriber.complete();
      })();
    });
  const got = await lastValueFrom(observedCall(hub, BIDI_START, make).pipe(toArray()));
  return { got, handed, stream };
}

describe('observedCall on a stream', () => {
  it('hands the transport stream over as is when no plug-in asks for messages', async () => {
    let stats: RpcEndStats | undefined;
    const { got, handed, stream } = await runCall({ end: (_o, s) => (stats = s) });
    expect(got).toEqual(['r0', 'r1', 'r2']);
    expect(handed).toBe(stream);
    // The counts are the transport's.
    expect(stats).toMatchObject({ sentMessages: 2, receivedMessages: 3 });
  });

  it('wraps it for a plug-in that hears each message, and counts the same', async () => {
    let stats: RpcEndStats | undefined;
    const heard: string[] = [];
    const { handed, stream } = await runCall({
      message: (direction, message) => heard.push(`${direction}:${String(message)}`),
      end: (_o, s) => (stats = s),
    });
    expect(handed).not.toBe(stream);
    expect(heard).toEqual(['sent:q0', 'sent:q1', 'received:r0', 'received:r1', 'received:r2']);
    expect(stats).toMatchObject({ sentMessages: 2, receivedMessages: 3 });
  });
});

/**
 * Subscribes to an observed call whose inner Observable keeps its subscriber (and, with
 * `reportsEnd`, reports its end through the tap); returns the outer subscription, that
 * subscriber, and what the observer heard at the end.
 */
function subscribeObserved(observer: RpcObserver, reportsEnd: boolean) {
  const hub: TelemetryHub = { start: () => observer, connection: undefined };
  let inner: Subscriber<unknown> | undefined;
  const make = (tap: ClientCallTap | undefined) => {
    if (reportsEnd) tap?.ending();
    return new Observable<unknown>((subscriber) => {
      inner = subscriber;
    });
  };
  const outer = observedCall(hub, BIDI_START, make).subscribe({ next: () => undefined });
  return { outer, inner: () => inner };
}

describe('observedCall and the subscriber', () => {
  it("hands the caller's subscriber to a call that reports its end: no layer per response", () => {
    const { outer, inner } = subscribeObserved({ end: () => undefined }, true);
    // The same subscriber: closing the one the call holds closes the caller's subscription.
    inner()?.unsubscribe();
    expect(outer.closed).toBe(true);
  });

  it('puts an observer in between for a call that does not report its end', () => {
    const { outer, inner } = subscribeObserved({ end: () => undefined }, false);
    inner()?.unsubscribe();
    expect(outer.closed).toBe(false);
    outer.unsubscribe();
  });

  it('puts an observer in between when a plug-in hears each message, even if the call reports its end', () => {
    const { outer, inner } = subscribeObserved(
      { message: () => undefined, end: () => undefined },
      true,
    );
    inner()?.unsubscribe();
    expect(outer.closed).toBe(false);
    outer.unsubscribe();
  });

  it('ends a direct call with its outcome: failure, completion, or cancel by the caller', async () => {
    const outcomes: RpcOutcome[] = [];
    const hub: TelemetryHub = {
      start: () => ({ end: (outcome) => outcomes.push(outcome) }),
      connection: undefined,
    };
    const failing = (tap: ClientCallTap | undefined) =>
      callObservable<unknown>(
        () => {
          throw new Error('no connection');
        },
        { kind: 'one', request: 'q' },
        {},
        16,
        tap?.ending(),
      );
    await expect(lastValueFrom(observedCall(hub, BIDI_START, failing))).rejects.toThrow(
      'no connection',
    );
    const completing = (tap: ClientCallTap | undefined) =>
      callObservable<unknown>(
        () => fakeStream(),
        { kind: 'one', request: 'q' },
        {},
        16,
        tap?.ending(),
      );
    await expect(
      lastValueFrom(observedCall(hub, BIDI_START, completing).pipe(toArray())),
    ).resolves.toEqual(['r0', 'r1', 'r2']);
    const abandoned = observedCall(hub, BIDI_START, completing).subscribe(() => undefined);
    abandoned.unsubscribe();
    // A caller that unsubscribes first cancels the call (`abandonedOutcome`).
    expect(outcomes.map((o) => o.kind)).toEqual(['exception', 'ok', 'cancel']);
  });
});
