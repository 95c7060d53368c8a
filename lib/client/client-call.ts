import { isObservable, Observable, type Observer, of, type Subscription } from 'rxjs';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { ACCEPTED } from '../transport/index.js';
import { type TTStreamMethodLike } from '../server/idl-descriptor.js';
import { isAsyncIterable } from '../server/pulled-observable.js';
import { receiveInto } from './receive-into.js';
import { type TTStreamCallOptions } from './ttstream-call-options.interface.js';

/**
 * Requests a request Observable may emit ahead of the connection (beyond what its writer holds)
 * before the call fails.
 */
export const REQUEST_HIGH_WATER_MARK = 1024;

/** The transport client stream as a call uses it. @internal not covered by semver */
export interface CallStream {
  send(message: unknown): Promise<void>;
  closeSend(): Promise<void>;
  recv(): Promise<IteratorResult<unknown, undefined>>;
  /** A message already received, without waiting; undefined when `recv()` must be awaited. */
  tryRecv?(): IteratorResult<unknown, undefined> | undefined;
  /**
   * `recv()` with callbacks, never called back synchronously (and from the transport's async
   * context): a receive loop that waits costs no promise per message.
   */
  recvThen?(
    onResult: (result: IteratorResult<unknown, undefined>) => void,
    onError: (error: Error) => void,
  ): void;
  cancel(reason?: unknown): void;
  header(): Promise<ReadonlyMap<string, string>>;
  trailer(): Promise<ReadonlyMap<string, string>>;
  readonly isEnded: boolean;
  /** Payload bytes sent and received, when the transport counts them. */
  readonly sentBytes?: number;
  readonly receivedBytes?: number;
  /** Messages sent and received, when the transport counts them. */
  readonly sentCount?: number;
  readonly receivedCount?: number;
}

/**
 * Hears how a call's Observable ends, just before its subscriber does: telemetry learns the
 * outcome without standing between the call and the subscriber for every response.
 * @internal not covered by semver
 */
export interface CallEnding {
  completed(): void;
  failed(error: unknown): void;
}

/** How a call's Observable ends: its subscriber's, or those with a listener in front. @internal */
export type CallEnds = Pick<Observer<unknown>, 'complete' | 'error'>;

/** What a call sends: one request, or a stream of them. @internal */
export type CallInput =
  | { readonly kind: 'one'; readonly request: unknown }
  | {
      readonly kind: 'many';
      readonly requests: Observable<unknown> | AsyncIterable<unknown> | Iterable<unknown>;
    };

/**
 * Nest's `send(pattern, data)` data for a streaming method: an Observable (or AsyncIterable) is
 * the request stream, anything else the one request (a stream of one for client and
 * bidirectional methods). @internal
 */
export function streamInput(descriptor: TTStreamMethodLike, data: unknown): CallInput {
  if (isObservable(data) || isAsyncIterable(data)) return { kind: 'many', requests: data };
  const streaming = descriptor.mode === 'client' || descriptor.mode === 'bidirectional';
  return streaming ? { kind: 'many', requests: of(data) } : { kind: 'one', request: data };
}

/**
 * A cold Observable over one stream: subscribing opens it (`open()`), sends the input (then
 * half-closes), and emits every response; the stream's failure (a `BizStatusError`, an
 * `ApplicationException`, a `TTStreamError`) is the Observable's error. Unsubscribing before the
 * end cancels the stream (RST). `ending` hears of the end first.
 * @internal not covered by semver
 */
export function callObservable<Res>(
  open: () => CallStream,
  input: CallInput,
  options: TTStreamCallOptions = {},
  highWaterMark = REQUEST_HIGH_WATER_MARK,
  ending?: CallEnding,
): Observable<Res> {
  return new Observable<Res>((subscriber) => {
    const ends = ending === undefined ? subscriber : endsHeardBy(ending, subscriber);
    let stream: CallStream;
    try {
      stream = open();
    } catch (error) {
      // Through `ends`, not the Observable's own catch, so that `ending` hears of it too.
      ends.error(error);
      return undefined;
    }
    let upstream: Subscription | undefined;
    const fail = (error: unknown): void => {
      if (subscriber.closed) return;
      if (!stream.isEnded) stream.cancel(error);
      ends.error(error);
    };
    const onHeader = options.onHeader;
    if (onHeader !== undefined) {
      stream.header().then((h) => {
        if (!subscriber.closed) onHeader(Object.fromEntries(h));
      }, noop);
    }
    const onTrailer = options.onTrailer;
    if (onTrailer !== undefined) {
      stream.trailer().then((t) => {
        onTrailer(Object.fromEntries(t));
      }, noop);
    }

    // A send fails either because the stream ended (the receive loop reports why) or because
    // the request could not be encoded (a local error: cancel and report it).
    const sendFailed = (error: unknown): void => {
      if (!stream.isEnded) fail(error);
    };
    const sender = new SequentialSender(stream, sendFailed);
    if (input.kind === 'one') {
      sender.push(input.request);
      sender.end();
    } else if (isObservable(input.requests)) {
      upstream = input.requests.subscribe({
        next: (request) => {
          if (sender.pending >= highWaterMark) {
            fail(
              new TTStreamError(TTStreamErrorCode.IllegalOperation, {
                side: 'client',
                detail: `the request Observable ran more than ${highWaterMark} messages ahead of the connection`,
              }),
            );
            return;
          }
          sender.push(request);
        },
        error: (error: unknown) => {
          fail(error);
        },
        complete: () => {
          sender.end();
        },
      });
    } else {
      void pumpIterable(input.requests, sender, () => !subscriber.closed).catch(fail);
    }

    receiveInto(stream, subscriber, ends);

    return () => {
      upstream?.unsubscribe();
      if (!stream.isEnded) stream.cancel();
    };
  });
}

/** `subscriber`'s end, told to `ending` first. */
function endsHeardBy(ending: CallEnding, subscriber: CallEnds): CallEnds {
  return {
    complete: () => {
      ending.completed();
      subscriber.complete();
    },
    error: (error: unknown) => {
      ending.failed(error);
      subscriber.error(error);
    },
  };
}

/**
 * Sends queued requests one at a time, each after the last was written, then half-closes. A send
 * the socket took at once (`ACCEPTED`) is not awaited, so a request stream that keeps up with the
 * connection makes no promise per request.
 */
class SequentialSender {
  private readonly queue: unknown[] = [];
  private ending = false;
  private closing = false;
  /** A send (or the half-close) is waiting for the socket. */
  private waiting = false;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly stream: CallStream,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Requests queued but not yet written. */
  get pending(): number {
    return this.queue.length;
  }

  push(request: unknown): void {
    this.queue.push(request);
    this.pump();
  }

  end(): void {
    this.ending = true;
    this.pump();
  }

  /** Resolves once the queue is empty (pull sources wait here: one item per completed send). */
  drained(): Promise<void> {
    if (this.queue.length === 0 && !this.waiting) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Sends what the socket takes at once; on a send that waits, goes on once it settles. */
  private pump(): void {
    if (this.waiting) return;
    while (this.queue.length > 0) {
      if (this.stream.isEnded) {
        this.queue.length = 0;
        break;
      }
      let sent: Promise<void>;
      try {
        sent = this.stream.send(this.queue.shift());
      } catch (error) {
        this.fail(error);
        return;
      }
      if (sent !== ACCEPTED) {
        this.waitFor(sent);
        return;
      }
    }
    if (this.ending && !this.closing && !this.stream.isEnded) {
      this.closing = true;
      this.waitFor(this.stream.closeSend());
      return;
    }
    this.releaseWaiter();
  }

  private waitFor(written: Promise<void>): void {
    this.waiting = true;
    written.then(
      () => {
        this.waiting = false;
        this.pump();
      },
      (error: unknown) => {
        this.waiting = false;
        this.fail(error);
      },
    );
  }

  private fail(error: unknown): void {
    this.queue.length = 0;
    this.onError(error);
    this.releaseWaiter();
  }

  private releaseWaiter(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

async function pumpIterable(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  sender: SequentialSender,
  isActive: () => boolean,
): Promise<void> {
  for await (const request of source) {
    if (!isActive()) return;
    sender.push(request);
    await sender.drained();
  }
  sender.end();
}

function noop(): void {}
