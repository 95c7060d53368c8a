import { toError } from './to-error.js';
import { setLongTimeout } from './long-timeout.js';
import { deliverLater } from './delivery-batch.js';

/** Limits of one stream's receive buffer. */
export interface RecvBufferLimits {
  /** Messages held before the stream is reset. Default unlimited (the byte cap bounds memory). */
  readonly maxMessages?: number;
  /**
   * Bytes held before the stream is reset, counting each message as its payload plus
   * {@link RECV_MESSAGE_OVERHEAD}. Default 32 MiB (at least one message always fits).
   */
  readonly maxBytes?: number;
}

/** Default per-stream receive buffer limits. */
export const DEFAULT_RECV_BUFFER: Required<RecvBufferLimits> = {
  maxMessages: Number.POSITIVE_INFINITY,
  maxBytes: 32 * 1024 * 1024,
};

/**
 * Bytes a buffered message costs beyond its payload (the Uint8Array view and its queue slot), so
 * a flood of empty messages is bounded too. A byte cap, not a message count: a peer batches
 * ~1000 small frames into one socket write, and one read of them must not look like a consumer
 * that fell behind.
 */
export const RECV_MESSAGE_OVERHEAD = 64;

interface Waiter {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  timer: NodeJS.Timeout | undefined;
  /** Applied to the payload on delivery ({@link RecvBuffer.nextMapped}). */
  map: ((payload: Uint8Array | undefined) => unknown) | undefined;
  /** A callback reader ({@link RecvBuffer.readThen}): called through the delivery batch. */
  later: boolean;
}

/**
 * A bounded FIFO of received payloads with one terminal outcome. Payloads queued before the end
 * are always handed out before the end (EOF or error). `push` refuses a payload over the limits
 * instead of growing (a payload handed straight to a waiting reader is never counted). While the
 * buffer is live it reports byte deltas through `onBytes` (the connection uses them to pause
 * reading); on `end` it gives its remaining bytes back at once.
 * @internal not covered by semver
 */
export class RecvBuffer {
  private readonly items: Uint8Array[] = [];
  private head = 0;
  private heldBytes = 0;
  /** The first waiting reader; more concurrent readers (rare) queue in `moreWaiters`. */
  private waiter: Waiter | undefined;
  private moreWaiters: Waiter[] | undefined;
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

  /** Bytes waiting to be read: payloads plus {@link RECV_MESSAGE_OVERHEAD} per message. */
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
    const waiter = this.takeWaiter();
    if (waiter !== undefined) {
      handOver(waiter, payload);
      return true;
    }
    const count = this.length;
    const cost = payload.byteLength + RECV_MESSAGE_OVERHEAD;
    if (count >= this.maxMessages) return false;
    if (count > 0 && this.heldBytes + cost > this.maxBytes) return false;
    this.items.push(payload);
    this.heldBytes += cost;
    this.onBytes(cost);
    return true;
  }

  /** Ends the buffer: readers get the queued payloads, then `undefined` (EOF) or `error`. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    if (this.heldBytes > 0) this.onBytes(-this.heldBytes);
    for (let waiter = this.takeWaiter(); waiter !== undefined; waiter = this.takeWaiter()) {
      endWaiter(waiter, error);
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
      const waiter: Waiter = { resolve, reject, timer: undefined, map: undefined, later: false };
      if (timeoutMs !== undefined && timeoutMs > 0) {
        waiter.timer = setLongTimeout(() => {
          this.removeWaiter(waiter);
          reject(onTimeout === undefined ? new Error('recv timeout') : onTimeout());
        }, timeoutMs);
      }
      this.addWaiter(waiter);
    });
  }

  /**
   * Like {@link next} without a timeout, but resolves with `map(payload)` (`map(undefined)` at
   * EOF), computed on delivery: one promise per read instead of a second one from `.then(map)`,
   * which matters for idle streams that always have a read pending. A throwing `map` rejects
   * that read only.
   */
  nextMapped<R>(map: (payload: Uint8Array | undefined) => R): Promise<R> {
    if (this.length > 0 || (this.ended && this.endError === undefined)) {
      try {
        return Promise.resolve(map(this.length > 0 ? this.shift() : undefined));
      } catch (error) {
        return Promise.reject(toError(error));
      }
    }
    const { endError } = this;
    if (endError !== undefined) return Promise.reject(endError);
    return new Promise<R>((resolve, reject) => {
      this.addWaiter({ resolve, reject, timer: undefined, map, later: false });
    });
  }

  /**
   * {@link nextMapped} with callbacks instead of a promise: `onValue(map(payload))` with the next
   * payload (`map(undefined)` at EOF), or `onError` with the end error or what `map` threw.
   * Never calls back synchronously: a queued payload or the end goes through
   * {@link deliverLater}, and a payload that arrives later is handed over at the end of the
   * socket chunk that carried it. The callbacks run in whatever async context that is; a reader
   * that needs its own binds them (an `AsyncResource`).
   */
  readThen<R>(
    map: (payload: Uint8Array | undefined) => R,
    onValue: (value: R) => void,
    onError: (error: Error) => void,
  ): void {
    const waiter: Waiter = {
      resolve: onValue,
      reject: onError,
      timer: undefined,
      map,
      later: true,
    };
    if (this.length > 0) {
      handOver(waiter, this.shift());
      return;
    }
    if (this.ended) {
      endWaiter(waiter, this.endError);
      return;
    }
    this.addWaiter(waiter);
  }

  /**
   * The synchronous part of {@link nextMapped}: `map(payload)` when a payload is queued,
   * `map(undefined)` at a clean EOF, and undefined when a read would have to wait or reject
   * (then call `nextMapped`). A reader draining a burst this way makes no promise per message.
   * Throws what `map` throws.
   */
  takeMapped<R>(map: (payload: Uint8Array | undefined) => R): R | undefined {
    if (this.length > 0) return map(this.shift());
    if (this.ended && this.endError === undefined) return map(undefined);
    return undefined;
  }

  private addWaiter(waiter: Waiter): void {
    if (this.waiter === undefined) this.waiter = waiter;
    else (this.moreWaiters ??= []).push(waiter);
  }

  /** Removes and returns the oldest waiting reader. */
  private takeWaiter(): Waiter | undefined {
    const waiter = this.waiter;
    this.waiter = this.moreWaiters?.shift();
    return waiter;
  }

  private removeWaiter(waiter: Waiter): void {
    if (this.waiter === waiter) {
      this.takeWaiter();
      return;
    }
    const index = this.moreWaiters?.indexOf(waiter) ?? -1;
    if (index >= 0) this.moreWaiters?.splice(index, 1);
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
    const cost = item.byteLength + RECV_MESSAGE_OVERHEAD;
    this.heldBytes -= cost;
    if (!this.ended) this.onBytes(-cost);
    return item;
  }
}

const EMPTY = new Uint8Array(0);

/** Hands `payload` (undefined: EOF) to a waiting reader: now, or a callback reader later. */
function handOver(waiter: Waiter, payload: Uint8Array | undefined): void {
  if (!waiter.later) {
    deliver(waiter, payload);
    return;
  }
  deliverLater(() => {
    deliver(waiter, payload);
  });
}

/** Tells a waiting reader of the end: EOF, or `error`. */
function endWaiter(waiter: Waiter, error: Error | undefined): void {
  if (error === undefined) {
    handOver(waiter, undefined);
  } else if (waiter.later) {
    deliverLater(() => {
      waiter.reject(error);
    });
  } else {
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }
}

/** Calls a waiting reader with `payload` (undefined: EOF), mapped. */
function deliver(waiter: Waiter, payload: Uint8Array | undefined): void {
  clearTimeout(waiter.timer);
  if (waiter.map === undefined) {
    waiter.resolve(payload);
    return;
  }
  let value: unknown;
  try {
    value = waiter.map(payload);
  } catch (error) {
    waiter.reject(toError(error));
    return;
  }
  waiter.resolve(value);
}
