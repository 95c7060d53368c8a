import { AsyncResource } from 'node:async_hooks';
import { type Subscriber } from 'rxjs';
import { type OutboundPressure } from './outbound-pressure.js';
import { applySteps, isPromiseLike, type MessageStep } from './pulled-observable.js';
import { PULLS_PER_TURN } from './pull-turns.js';
import { type ServerCall } from './server-call.js';

/** A request stream that can be read on callbacks. @internal */
export type CallbackRequests = Required<Pick<ServerCall, 'tryRecv' | 'recvThen'>>;

/** True when `source` can be read on callbacks. @internal */
export function isCallbackRequests(source: object): source is CallbackRequests {
  const candidate = source as Partial<CallbackRequests>;
  return typeof candidate.tryRecv === 'function' && typeof candidate.recvThen === 'function';
}

/**
 * Reads a request stream into `subscriber` as `pullInto` does (pausing while `pressure` holds
 * responses, applying `steps`, a turn of the event loop every {@link PULLS_PER_TURN} messages
 * read in a row), but on callbacks: a request that has to be waited for costs no promise. The
 * transport and the writer call back from their own async context, so every resume re-enters
 * the subscriber's (this `AsyncResource`, made at subscription): a span or store the handler
 * reads while handling a request is its own, as after an `await`.
 * @internal not covered by semver
 */
export class RequestReader<T> extends AsyncResource {
  /** Requests read since the event loop last turned (a wait for the socket is a turn). */
  private readInARow = 0;

  constructor(
    private readonly subscriber: Subscriber<T>,
    private readonly source: CallbackRequests,
    private readonly pressure: OutboundPressure | undefined,
    private readonly steps: readonly MessageStep[],
  ) {
    super('TTStreamRequests');
  }

  private readonly resume = (): void => {
    this.runInAsyncScope(readOn, undefined, this);
  };

  private readonly nextTurn = (): void => {
    this.readInARow = 0;
    this.read();
  };

  private readonly onResult = (result: IteratorResult<unknown, undefined>): void => {
    this.readInARow = 0;
    this.runInAsyncScope(receivedBy, undefined, this, result);
  };

  private readonly onError = (error: Error): void => {
    this.runInAsyncScope(failReader, undefined, this, error);
  };

  /** Reads until a read or the writer has to be waited for, the stream ends, or it is closed. */
  read(): void {
    const { subscriber, source } = this;
    while (!subscriber.closed) {
      if (++this.readInARow >= PULLS_PER_TURN) {
        setImmediate(this.nextTurn);
        return;
      }
      // The pressure never fails: a stream that ends lets its waiters go.
      if (this.pressure?.whenReady(this.resume) === true) return;
      let result: IteratorResult<unknown, undefined> | undefined;
      try {
        result = source.tryRecv();
      } catch (error) {
        this.fail(error);
        return;
      }
      if (result === undefined) {
        source.recvThen(this.onResult, this.onError);
        return;
      }
      if (!this.emit(result)) return;
    }
  }

  /** @internal */
  received(result: IteratorResult<unknown, undefined>): void {
    if (this.emit(result)) this.read();
  }

  /** Emits one request through the steps; false when reading must not go on from here. */
  private emit(result: IteratorResult<unknown, undefined>): boolean {
    const { subscriber, steps } = this;
    if (subscriber.closed) return false;
    if (result.done === true) {
      subscriber.complete();
      return false;
    }
    let message: unknown;
    try {
      message = applySteps(steps, result.value);
    } catch (error) {
      this.fail(error);
      return false;
    }
    if (isPromiseLike(message)) {
      // An async pipe: the next read waits for it (nothing piles up).
      void this.emitAfter(message);
      return false;
    }
    subscriber.next(message as T);
    return true;
  }

  /** Emits the message an async step settles to, then reads on. */
  private async emitAfter(pending: PromiseLike<unknown>): Promise<void> {
    let message: unknown;
    try {
      message = await pending;
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.subscriber.closed) return;
    this.subscriber.next(message as T);
    this.read();
  }

  /** @internal */
  fail(error: unknown): void {
    if (!this.subscriber.closed) this.subscriber.error(error);
  }
}

// Plain functions for `runInAsyncScope`: no bound method or closure per message.
function readOn(reader: RequestReader<unknown>): void {
  reader.read();
}

function receivedBy(
  reader: RequestReader<unknown>,
  result: IteratorResult<unknown, undefined>,
): void {
  reader.received(result);
}

function failReader(reader: RequestReader<unknown>, error: Error): void {
  reader.fail(error);
}
