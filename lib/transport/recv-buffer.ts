/** Limits of one stream's receive buffer. */
export interface RecvBufferLimits {
  /** Messages held before the stream is reset. Default 1024. */
  readonly maxMessages?: number;
  /** Payload bytes held before the stream is reset. Default 32 MiB (at least one message always fits). */
  readonly maxBytes?: number;
}

/** Default per-stream receive buffer limits. */
export const DEFAULT_RECV_BUFFER: Required<RecvBufferLimits> = {
  maxMessages: 1024,
  maxBytes: 32 * 1024 * 1024,
};

interface Waiter {
  resolve(value: Uint8Array | undefined): void;
  reject(reason: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A bounded FIFO of received payloads with one terminal outcome. Payloads queued before the end
 * are always handed out before the end (EOF or error). `push` refuses a payload over the limits
 * instead of growing. While the buffer is live it reports byte deltas through `onBytes` (the
 * connection uses them to pause reading); on `end` it gives its remaining bytes back at once.
 * @internal not covered by semver
 */
export class RecvBuffer {
  private readonly items: Uint8Array[] = [];
  private head = 0;
  private heldBytes = 0;
  private readonly waiters: Waiter[] = [];
  private ended = false;
  private endError: Error | undefined = undefined;
  private readonly maxMessages: number;
  private readonly maxBytes: number;

  constructor(
    limits: RecvBufferLimits = {},
    private readonly onBytes: (delta: number) => void = () => undefined,
  ) {
    this.maxMessages = limits.maxMessages ?? DEFAULT_RECV_BUFFER.maxMessages;
    this.maxBytes = limits.maxBytes ?? DEFAULT_RECV_BUFFER.maxBytes;
  }

  /** Messages waiting to be read. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Payload bytes waiting to be read. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** True once `end` was called. */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Queues a payload or hands it to a waiting reader. Returns false (and keeps nothing) when the
   * payload would exceed the limits; ignored after `end`.
   */
  push(payload: Uint8Array): boolean {
    if (this.ended) return true;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.resolve(payload);
      return true;
    }
    const count = this.length;
    if (count >= this.maxMessages) return false;
    if (count > 0 && this.heldBytes + payload.byteLength > this.maxBytes) return false;
    this.items.push(payload);
    this.heldBytes += payload.byteLength;
    this.onBytes(payload.byteLength);
    return true;
  }

  /** Ends the buffer: readers get the queued payloads, then `undefined` (EOF) or `error`. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    if (this.heldBytes > 0) this.onBytes(-this.heldBytes);
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      if (error === undefined) waiter.resolve(undefined);
      else waiter.reject(error);
    }
  }

  /**
   * The next payload, `undefined` at EOF, or a rejection with the end error. With `timeoutMs`, a
   * wait longer than that rejects with `onTimeout()` and leaves the buffer as it was.
   */
  next(timeoutMs?: number, onTimeout?: () => Error): Promise<Uint8Array | undefined> {
    if (this.length > 0) return Promise.resolve(this.shift());
    if (this.ended) {
      return this.endError === undefined
        ? Promise.resolve(undefined)
        : Promise.reject(this.endError);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined && timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(onTimeout === undefined ? new Error('recv timeout') : onTimeout());
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  private shift(): Uint8Array {
    const item = this.items[this.head] as Uint8Array;
    this.items[this.head] = EMPTY;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    this.heldBytes -= item.byteLength;
    if (!this.ended) this.onBytes(-item.byteLength);
    return item;
  }
}

const EMPTY = new Uint8Array(0);
