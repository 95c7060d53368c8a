import { isObservable, type Observable, type Subscription } from 'rxjs';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { ACCEPTED } from '../transport/index.js';
import { OutboundPressure } from './outbound-pressure.js';
import { expandPulledSources, isPulledSource, pulledObservable } from './pulled-observable.js';

/** Where a handler's results go. @internal */
export interface ResultSink {
  /**
   * Writes one message; resolves once written (backpressure). Returns the shared `ACCEPTED`
   * promise when the socket took it at once, which callers need not await.
   */
  send(message: unknown): Promise<void>;
  /**
   * `send` without a promise: true when the socket took the message at once, otherwise
   * `onWritten` follows. Used instead of `send` when present.
   */
  sendThen?(message: unknown, onWritten: (error?: Error) => void): boolean;
  /** Aborted when the stream is gone: writing stops and the handler is unsubscribed. */
  readonly signal: AbortSignal;
  /** Resets the stream (used when an Observable outruns the connection). */
  reset(error: TTStreamError): void;
}

/** Default {@link writeResult} bound: messages an Observable may emit beyond the writer's. */
export const DEFAULT_OUTBOUND_HIGH_WATER_MARK = 1024;

/**
 * Writes what a handler returned: an Observable (each value, in order, one `send` at a time), an
 * AsyncIterable (pulled one item per completed `send`, also when an Observable emits one) or a
 * plain value (undefined: nothing). An Observable may run ahead of the socket by `highWaterMark`
 * messages; past that the handler is unsubscribed and the stream reset (RST 12011).
 * Resolves on completion; rejects with the Observable's error after the messages
 * emitted before it were written, or with the sink's abort reason.
 * @internal not covered by semver
 */
export async function writeResult(
  result: unknown,
  sink: ResultSink,
  highWaterMark = DEFAULT_OUTBOUND_HIGH_WATER_MARK,
  pressure = new OutboundPressure(highWaterMark),
): Promise<void> {
  if (isObservable(result)) {
    const messages = result.pipe(expandPulledSources(pressure));
    return writeObservable(messages, sink, highWaterMark, pressure);
  }
  if (isPulledSource(result)) {
    return writeObservable(pulledObservable(result, pressure), sink, highWaterMark, pressure);
  }
  if (result !== undefined) await sink.send(result);
}

function writeObservable(
  source: Observable<unknown>,
  sink: ResultSink,
  highWaterMark: number,
  pressure: OutboundPressure,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const queue: unknown[] = [];
    let ended: { error: unknown } | 'complete' | undefined;
    let writing = false;
    const state: { finished: boolean; subscription: Subscription | undefined } = {
      finished: false,
      subscription: undefined,
    };

    const finish = (error?: { error: unknown }): void => {
      if (state.finished) return;
      state.finished = true;
      sink.signal.removeEventListener('abort', onAbort);
      state.subscription?.unsubscribe();
      pressure.release();
      if (error === undefined) resolve();
      // The raw failure (possibly Nest's plain error object): the caller translates it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      else reject(error.error);
    };
    const onAbort = (): void => {
      finish({ error: sink.signal.reason });
    };
    // A send the socket took at once is not awaited: no promise per message, and the pull of a
    // generator sees the pressure gone at once. Only a send that waits goes async; with
    // `sendThen` it costs no promise either.
    const written = (): void => {
      pressure.remove();
      writing = false;
      drain();
    };
    const failed = (error: unknown): void => {
      pressure.remove();
      writing = false;
      finish({ error });
    };
    const onWritten = (error?: Error): void => {
      if (error === undefined) written();
      else failed(error);
    };
    const sendThen = sink.sendThen?.bind(sink);
    const sendNext = (): boolean => {
      const message = queue.shift();
      if (sendThen !== undefined) return sendThen(message, onWritten);
      const sent = sink.send(message);
      if (sent === ACCEPTED) return true;
      sent.then(written, failed);
      return false;
    };
    const drain = (): void => {
      if (writing) return;
      writing = true;
      while (queue.length > 0 && !state.finished) {
        let accepted: boolean;
        try {
          accepted = sendNext();
        } catch (error) {
          failed(error);
          return;
        }
        if (!accepted) return;
        pressure.remove();
      }
      writing = false;
      if (ended === 'complete') finish();
      else if (ended !== undefined) finish(ended);
    };

    if (sink.signal.aborted) {
      onAbort();
      return;
    }
    sink.signal.addEventListener('abort', onAbort, { once: true });
    state.subscription = source.subscribe({
      next: (value) => {
        if (state.finished) return;
        if (queue.length >= highWaterMark) {
          const overflow = new TTStreamError(TTStreamErrorCode.InternalCancel, {
            side: 'server',
            detail: `the handler emitted more than ${highWaterMark} messages ahead of the connection`,
          });
          sink.reset(overflow);
          finish({ error: overflow });
          return;
        }
        queue.push(value);
        pressure.add();
        drain();
      },
      error: (error: unknown) => {
        ended = { error };
        drain();
      },
      complete: () => {
        ended = 'complete';
        drain();
      },
    });
    // finish() may have run during subscribe(), before the subscription existed.
    if (state.finished) state.subscription.unsubscribe();
  });
}
