import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import { type OutboundPressure } from './outbound-pressure.js';
import { isGenerator, pullGeneratorInto } from './pulled-generator.js';
import { nextTurn, PULLS_PER_TURN } from './pull-turns.js';

/**
 * An AsyncIterable (an `async *` handler's generator) or a generator (`function*`) as an
 * Observable, so that interceptors, `catchError` and exception filters see its messages, its
 * error and its end like those of an Observable handler. It pulls the next item only once
 * `pacing` has written everything queued: a generator never runs ahead of the connection.
 * Unsubscribing stops pulling and calls the iterator's `return()` (the generator's `finally`
 * blocks run).
 *
 * No promise outlives one item, so a stream of millions of messages holds no per-message state;
 * a `function*` generator whose messages the socket takes at once costs no promise at all.
 * @internal not covered by semver
 */
export function pulledObservable<T>(
  source: PulledSource<T>,
  pacing?: OutboundPressure,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    if (isGenerator(source)) {
      pullGeneratorInto(subscriber, source, (resume) => pacing?.whenDrained(resume) ?? false);
      return () => {
        try {
          source.return(undefined);
        } catch {
          // A `finally` that throws after the stream was left: nobody is listening any more.
        }
      };
    }
    const iterator = source[Symbol.asyncIterator]();
    pullInto(subscriber, iterator, () => pacing?.drained());
    return () => {
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
    };
  });
}

/** What a handler may return to be pulled one message per write. @internal */
export type PulledSource<T> = AsyncIterable<T> | Generator<T>;

/** True for an AsyncIterable (not an Observable) or a `function*` generator. @internal */
export function isPulledSource(value: unknown): value is PulledSource<unknown> {
  return isAsyncIterable(value) || isGenerator(value);
}

/** A per-message step applied while pulling (a pipe); awaited before the next read. */
export type MessageStep = (message: unknown) => unknown;

/**
 * Pulls `iterator` into `subscriber` until it is done, fails or the subscriber unsubscribes:
 * before each read it awaits `wait()` (when that returns a promise), after each read it applies
 * `steps` in order, and every {@link PULLS_PER_TURN} messages it yields to the event loop.
 * Nothing is read ahead. @internal not covered by semver
 */
export function pullInto<T>(
  subscriber: Subscriber<T>,
  iterator: AsyncIterator<unknown>,
  wait: () => Promise<void> | undefined,
  steps: readonly MessageStep[] = [],
): void {
  // A function, so the checks after each await are not narrowed away.
  const stopped = (): boolean => subscriber.closed;
  const pull = async (): Promise<void> => {
    try {
      for (let pulled = 1; ; pulled++) {
        if (pulled % PULLS_PER_TURN === 0) await nextTurn();
        const ready = wait();
        if (ready !== undefined) await ready;
        if (stopped()) return;
        const next = await iterator.next();
        if (stopped()) return;
        if (next.done === true) {
          subscriber.complete();
          return;
        }
        const stepped = applySteps(steps, next.value);
        const message = isPromiseLike(stepped) ? await stepped : stepped;
        if (stopped()) return;
        subscriber.next(message as T);
      }
    } catch (error) {
      if (!stopped()) subscriber.error(error);
    }
  };
  void pull();
}

/**
 * `steps` applied to `message` in order (from `from`): the result, or once a step answers with a
 * promise, a promise of it. Steps that answer at once (synchronous pipes) cost no promise.
 * Throws what a step throws. @internal not covered by semver
 */
export function applySteps(steps: readonly MessageStep[], message: unknown, from = 0): unknown {
  for (let index = from; index < steps.length; index++) {
    const stepped = (steps[index] as MessageStep)(message);
    if (isPromiseLike(stepped)) return settleSteps(steps, stepped, index + 1);
    message = stepped;
  }
  return message;
}

async function settleSteps(
  steps: readonly MessageStep[],
  pending: PromiseLike<unknown>,
  from: number,
): Promise<unknown> {
  return applySteps(steps, await pending, from);
}

/**
 * Replaces every AsyncIterable or generator the source emits with its items (pulled as
 * {@link pulledObservable} does); other values pass through untouched, in order.
 * @internal not covered by semver
 */
export function expandPulledSources<T>(pacing?: OutboundPressure): OperatorFunction<unknown, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let active = 0;
      let sourceDone = false;
      const innerDone = (): void => {
        active--;
        if (sourceDone && active === 0) subscriber.complete();
      };
      const outer = source.subscribe({
        next: (value) => {
          if (!isPulledSource(value)) {
            subscriber.next(value as T);
            return;
          }
          active++;
          subscriber.add(
            pulledObservable(value as PulledSource<T>, pacing).subscribe({
              next: (item) => {
                subscriber.next(item);
              },
              error: (error: unknown) => {
                subscriber.error(error);
              },
              complete: innerDone,
            }),
          );
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          if (active === 0) subscriber.complete();
        },
      });
      return outer;
    });
}

/** True for an AsyncIterable that is not an Observable. @internal */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}

/** True for a thenable. @internal */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<PromiseLike<unknown>>).then === 'function'
  );
}
