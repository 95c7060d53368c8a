import { Observable } from 'rxjs';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { type OutboundPressure } from './outbound-pressure.js';
import { type MessageStep, pullInto } from './pulled-observable.js';
import { isCallbackRequests, RequestReader } from './request-reader.js';

/**
 * The `@Payload()` of a client or bidirectional handler: an Observable that pulls requests from
 * the stream only while subscribed. Nothing is read before the handler subscribes, so no message
 * is lost when a guard or interceptor delays the subscription (nestjs/nest#14094); meanwhile
 * messages wait in the transport's bounded receive buffer, which is the backpressure. A half-close
 * completes it. While the handler's responses wait to be written (`pressure`), reading pauses.
 * It can be subscribed once; use `share()` to fan it out.
 * @internal not covered by semver
 */
export class RequestStream<T> extends Observable<T> {
  /** @internal */
  constructor(
    private readonly requests: AsyncIterable<unknown>,
    private readonly pressure: OutboundPressure | undefined,
    private readonly taken: { value: boolean },
    private readonly steps: readonly MessageStep[],
  ) {
    super((subscriber) => {
      if (taken.value) {
        subscriber.error(
          new TTStreamError(TTStreamErrorCode.IllegalOperation, {
            side: 'server',
            detail: 'the request stream can be subscribed only once (use share())',
          }),
        );
        return undefined;
      }
      taken.value = true;
      if (isCallbackRequests(requests)) {
        new RequestReader(subscriber, requests, pressure, steps).read();
        return undefined;
      }
      const iterator = requests[Symbol.asyncIterator]();
      pullInto(subscriber, iterator, () => pressure?.ready(), steps);
      return () => {
        void iterator.return?.().catch(() => undefined);
      };
    });
  }

  /**
   * The same stream with `step` applied to each message as it is read (a rejection fails the
   * stream); the next message is read only once `step` has settled, so nothing piles up. The
   * stream can still be subscribed only once, through either object.
   */
  mapEach<U>(step: (message: T) => U | Promise<U>): RequestStream<U> {
    return new RequestStream<U>(this.requests, this.pressure, this.taken, [
      ...this.steps,
      step as MessageStep,
    ]);
  }
}

/** The request stream of one call. @internal not covered by semver */
export function requestObservable<T>(
  source: AsyncIterable<T>,
  pressure?: OutboundPressure,
): RequestStream<T> {
  return new RequestStream<T>(source, pressure, { value: false }, []);
}
