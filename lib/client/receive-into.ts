import { AsyncResource } from 'node:async_hooks';
import { type Subscriber } from 'rxjs';
import { type CallEnds, type CallStream } from './client-call.js';

/**
 * Emits every response of `stream` into `subscriber`, then ends it through `ends` (completes it,
 * or fails it with the stream's error). Stops emitting once the subscriber is closed. A burst
 * already received is emitted without waiting; a stream that can call back (`recvThen`) is
 * waited on without a promise per message.
 * @internal not covered by semver
 */
export function receiveInto<Res>(
  stream: CallStream,
  subscriber: Subscriber<Res>,
  ends: CallEnds = subscriber,
): void {
  if (canCallBack(stream)) new CallbackReceiver(stream, subscriber, ends).drain(undefined);
  else void receiveAwaiting(stream, subscriber, ends);
}

type CallingBackStream = CallStream & Required<Pick<CallStream, 'recvThen'>>;

function canCallBack(stream: CallStream): stream is CallingBackStream {
  return stream.recvThen !== undefined;
}

/**
 * The receive loop on callbacks. The transport calls back from its socket's async context, so
 * each callback re-enters the subscriber's (an `AsyncResource` made at subscription): what the
 * subscriber does (a span it starts, a store it reads) sees the context it subscribed in, as
 * after an `await`.
 */
class CallbackReceiver<Res> extends AsyncResource {
  constructor(
    private readonly stream: CallingBackStream,
    private readonly subscriber: Subscriber<Res>,
    private readonly ends: CallEnds,
  ) {
    super('TTStreamReceive');
  }

  private readonly onResult = (result: IteratorResult<unknown, undefined>): void => {
    this.runInAsyncScope(drainReceiver, undefined, this, result);
  };

  private readonly onError = (error: Error): void => {
    this.runInAsyncScope(failReceiver, undefined, this, error);
  };

  /** Emits `first` (when given) and every response already received, then waits for more. */
  drain(first: IteratorResult<unknown, undefined> | undefined): void {
    const { stream, subscriber } = this;
    try {
      for (
        let result = first ?? stream.tryRecv?.();
        result !== undefined;
        result = stream.tryRecv?.()
      ) {
        if (subscriber.closed) return;
        if (result.done === true) {
          this.ends.complete();
          return;
        }
        subscriber.next(result.value as Res);
      }
    } catch (error) {
      // A response that could not be decoded (the transport cancelled the stream).
      this.fail(error);
      return;
    }
    if (!subscriber.closed) stream.recvThen(this.onResult, this.onError);
  }

  fail(error: unknown): void {
    if (!this.subscriber.closed) this.ends.error(error);
  }
}

// Plain functions for `runInAsyncScope`: no bound method or closure per message.
function drainReceiver(
  receiver: CallbackReceiver<unknown>,
  result: IteratorResult<unknown, undefined>,
): void {
  receiver.drain(result);
}

function failReceiver(receiver: CallbackReceiver<unknown>, error: Error): void {
  receiver.fail(error);
}

/** The receive loop on promises, for a stream that cannot call back. */
async function receiveAwaiting<Res>(
  stream: CallStream,
  subscriber: Subscriber<Res>,
  ends: CallEnds,
): Promise<void> {
  try {
    for (;;) {
      // A burst already received is delivered without a promise per message.
      const result = stream.tryRecv?.() ?? (await stream.recv());
      if (subscriber.closed) return;
      if (result.done === true) break;
      subscriber.next(result.value as Res);
    }
    ends.complete();
  } catch (error) {
    ends.error(error);
  }
}
