import { Observable } from 'rxjs';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { type OutboundPressure } from './outbound-pressure.js';

/**
 * The `@Payload()` of a client or bidirectional handler: an Observable that pulls requests from
 * the stream only while subscribed. Nothing is read before the handler subscribes, so no message
 * is lost when a guard or interceptor delays the subscription (nestjs/nest#14094); meanwhile
 * messages wait in the transport's bounded receive buffer, which is the backpressure. A half-close
 * completes it. While the handler's responses wait to be written (`pressure`), reading pauses.
 * It can be subscribed once; use `share()` to fan it out.
 * @internal not covered by semver
 */
export function requestObservable<T>(
  source: AsyncIterable<T>,
  pressure?: OutboundPressure,
): Observable<T> {
  let taken = false;
  return new Observable<T>((subscriber) => {
    if (taken) {
      subscriber.error(
        new TTStreamError(TTStreamErrorCode.IllegalOperation, {
          side: 'server',
          detail: 'the request stream can be subscribed only once (use share())',
        }),
      );
      return undefined;
    }
    taken = true;
    const iterator = source[Symbol.asyncIterator]();
    // A function, so the checks after each await are not narrowed away.
    const isClosed = (): boolean => subscriber.closed;
    const pull = async (): Promise<void> => {
      try {
        for (;;) {
          const wait = pressure?.ready();
          if (wait !== undefined) await wait;
          if (isClosed()) return;
          const result = await iterator.next();
          if (isClosed()) return;
          if (result.done === true) {
            subscriber.complete();
            return;
          }
          subscriber.next(result.value);
        }
      } catch (error) {
        if (!isClosed()) subscriber.error(error);
      }
    };
    void pull();
    return () => {
      void iterator.return?.().catch(() => undefined);
    };
  });
}
