import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { Deferred } from './deferred.js';
import { ACCEPTED } from './frame-writer.js';
import { toError } from './to-error.js';

/** Limits on one stream's sends that were not yet accepted by the socket. */
export interface SendBufferLimits {
  /** Pending frames before `send` fails. Default 1024. */
  readonly maxMessages?: number;
  /** Pending payload bytes before `send` fails (one message always fits). Default 16 MiB. */
  readonly maxBytes?: number;
}

/** Default per-stream send buffer limits. */
export const DEFAULT_SEND_BUFFER: Required<SendBufferLimits> = {
  maxMessages: 1024,
  maxBytes: 16 * 1024 * 1024,
};

/**
 * Counts a stream's unresolved sends, so callers that do not await `send()` get a typed error
 * (12005, `send buffer full`) instead of growing memory. @internal not covered by semver
 */
export class SendLimiter {
  private count = 0;
  private bytes = 0;
  private readonly waiting = new Set<Deferred<void>>();
  private endError: Error | undefined = undefined;
  private readonly maxMessages: number;
  private readonly maxBytes: number;

  constructor(limits: SendBufferLimits = {}) {
    this.maxMessages = limits.maxMessages ?? DEFAULT_SEND_BUFFER.maxMessages;
    this.maxBytes = limits.maxBytes ?? DEFAULT_SEND_BUFFER.maxBytes;
  }

  /** Sends not yet accepted by the socket. */
  get pending(): number {
    return this.count;
  }

  /** The error to fail a send of `size` bytes with, or undefined when it fits. */
  refuse(size: number): TTStreamError | undefined {
    if (this.count < this.maxMessages && (this.count === 0 || this.bytes + size <= this.maxBytes)) {
      return undefined;
    }
    return new TTStreamError(TTStreamErrorCode.IllegalOperation, {
      detail: `send buffer full (${this.count} messages, ${this.bytes} bytes pending): await send() before sending more`,
    });
  }

  /**
   * Counts `written` until it settles. The returned promise follows `written`, or rejects with
   * the stream's terminal error as soon as {@link abort} is called, so a send stalled behind a
   * full socket ends with its stream (deadline, cancel, RST). Never an unhandled rejection: the
   * stream reports its terminal error itself.
   */
  track(size: number, written: Promise<void>): Promise<void> {
    if (written === ACCEPTED) return written; // accepted at once: nothing to count or race
    if (this.endError !== undefined) return written;
    this.count++;
    this.bytes += size;
    const result = new Deferred<void>();
    this.waiting.add(result);
    const settle = (error?: Error): void => {
      this.count--;
      this.bytes -= size;
      this.waiting.delete(result);
      if (error === undefined) result.resolve();
      else result.reject(error);
    };
    written.then(
      () => {
        settle();
      },
      (error: unknown) => {
        settle(toError(error));
      },
    );
    return result.promise;
  }

  /** The stream ended with `error`: pending sends reject with it. */
  abort(error: Error): void {
    this.endError ??= error;
    for (const waiter of this.waiting) waiter.reject(error);
    this.waiting.clear();
  }
}
