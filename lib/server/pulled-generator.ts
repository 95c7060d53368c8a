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
 * Pulls a `function*` generator into `subscriber`, synchronously while `wait(pull)` says the
 * last message was written (returns false), until it is done, throws or the subscriber
 * unsubscribes. When a write has to wait, `wait` calls `pull` back once it was written; every
 * {@link PULLS_PER_TURN} messages pulled without a turn of the event loop, pulling goes on in
 * the next one. No promise per message, also while the socket is full.
 * @internal not covered by semver
 */
export function pullGeneratorInto<T>(
  subscriber: Subscriber<T>,
  generator: Generator,
  wait: (resume: () => void) => boolean,
): void {
  // A function, so the check after `next()` is not narrowed away.
  const stopped = (): boolean => subscriber.closed;
  // Counted across calls: `wait` may call `pull` back synchronously, from inside a write.
  let pulledThisTurn = 0;
  const nextTurn = (): void => {
    pulledThisTurn = 0;
    pull();
  };
  const pull = (): void => {
    try {
      while (!stopped()) {
        if (++pulledThisTurn >= PULLS_PER_TURN) {
          setImmediate(nextTurn);
          return;
        }
        // The pacing never fails: a stream that ends calls `pull` back.
        if (wait(pull)) return;
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
