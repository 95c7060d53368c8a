import { type Subscriber } from 'rxjs';
import { PULLS_PER_TURN } from './pull-turns.js';

/**
 * True for the object a `function*` returns. Arrays and other iterables are not pulled: they
 * stay one value, as Nest treats them.
 * @internal not covered by semver
 */
export function isGenerator(value: unknown): value is Generator {
  // The cheap checks first: every message of an Observable result passes through here.
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function' &&
    Object.prototype.toString.call(value) === '[object Generator]'
  );
}

/**
 * Pulls a `function*` generator into `subscriber`, synchronously while `wait()` says the last
 * message was written (returns undefined), until it is done, throws or the subscriber
 * unsubscribes. When a write has to wait, pulling resumes once `wait()`'s promise settles; every
 * {@link PULLS_PER_TURN} messages it lets the event loop turn. No promise per message.
 * @internal not covered by semver
 */
export function pullGeneratorInto<T>(
  subscriber: Subscriber<T>,
  generator: Generator,
  wait: () => Promise<void> | undefined,
): void {
  // A function, so the check after `next()` is not narrowed away.
  const stopped = (): boolean => subscriber.closed;
  const pull = (): void => {
    try {
      for (let pulled = 1; !stopped(); pulled++) {
        if (pulled % PULLS_PER_TURN === 0) {
          setImmediate(pull);
          return;
        }
        const ready = wait();
        if (ready !== undefined) {
          // The pacing promise never rejects: a stream that ends releases it.
          void ready.then(pull);
          return;
        }
        const next = generator.next();
        if (stopped()) return;
        if (next.done === true) {
          subscriber.complete();
          return;
        }
        subscriber.next(next.value as T);
      }
    } catch (error) {
      if (!stopped()) subscriber.error(error);
    }
  };
  pull();
}
