import type { Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import type { FrameInit } from '../protocol/frame.js';
import { encodeFrameHead } from '../protocol/frame-encoder.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/ttheader-constants.js';
import { Deferred } from './deferred.js';
import { toError } from './to-error.js';

/** The part of a `net.Socket` the writer uses (a test double can stand in). */
export type FrameSink = Pick<
  Socket,
  | 'cork'
  | 'uncork'
  | 'write'
  | 'once'
  | 'removeListener'
  | 'writableNeedDrain'
  | 'writableLength'
  | 'destroyed'
>;

/** Options of {@link FrameWriter}. */
export interface FrameWriterOptions {
  /** Largest LENGTH field of an outgoing frame; bigger frames are refused locally. Default 16 MiB. */
  readonly maxFrameBytes?: number;
  /**
   * Bytes queued here plus bytes buffered in the socket up to which `write()` resolves at once
   * (so awaited sends in a loop still batch into one flush). Default 64 KiB.
   */
  readonly highWaterMark?: number;
}

/** Default {@link FrameWriterOptions.highWaterMark}. */
export const DEFAULT_WRITER_HIGH_WATER_MARK = 64 * 1024;

interface Pending {
  readonly head: Uint8Array;
  readonly payload: Uint8Array | undefined;
  /** Undefined when the write was accepted at once (below the high-water mark). */
  readonly done: Deferred<void> | undefined;
}

/**
 * The promise `write()` returns for a frame accepted at once: shared, so the hot path allocates
 * no promise per frame. @internal not covered by semver
 */
export const ACCEPTED: Promise<void> = Promise.resolve();

/** Payloads up to this size are copied next to their head; larger ones are written as is. */
const COPY_LIMIT = 16 * 1024;

/**
 * Writes frames to one socket. Frames queued during one turn of the event loop leave in one
 * flush (`setImmediate`), as one `write` of the concatenated small frames, with large payloads
 * passed by reference inside `cork()`/`uncork()` so Node hands them to `writev` without a copy.
 *
 * `write()` resolves as soon as the frame is accepted without exceeding the high-water mark
 * (bytes queued here plus bytes buffered in the socket): at once when there is room, so awaited
 * sends in a loop still leave in one flush; otherwise after the flush, or after the socket's
 * `drain`. A caller that awaits it therefore never grows memory. While the socket needs a
 * `drain`, later frames wait here (their number is bounded by the streams' own send limits).
 * @internal not covered by semver
 */
export class FrameWriter {
  private queue: Pending[] = [];
  private inFlight: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private waitingDrain = false;
  private failure: Error | undefined = undefined;
  private readonly maxFrameBytes: number;
  private readonly highWaterMark: number;
  private queuedBytes = 0;
  private idleWaiters: Deferred<void>[] = [];
  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    this.settle(this.inFlight);
    this.inFlight = [];
    if (this.queue.length > 0) this.flush();
    else this.notifyIdle();
  };

  /** Number of socket writes issued so far (tests and benchmarks use it). */
  flushes = 0;

  constructor(
    private readonly sink: FrameSink,
    options: FrameWriterOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.highWaterMark = options.highWaterMark ?? DEFAULT_WRITER_HIGH_WATER_MARK;
  }

  /** Frames queued or written but not yet below the high-water mark. */
  get pendingFrames(): number {
    return this.queue.length + this.inFlight.length;
  }

  /** True once {@link fail} was called. */
  get isFailed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Queues one frame. Rejects at once, writing nothing, when the frame cannot be encoded or is
   * larger than `maxFrameBytes` (a `FrameEncodeError`, 12004), or when the writer has failed.
   */
  write(frame: FrameInit): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let head: Uint8Array;
    try {
      head = encodeFrameHead(frame, { maxFrameBytes: this.maxFrameBytes });
    } catch (error) {
      return Promise.reject(toError(error));
    }
    const payload =
      frame.payload !== undefined && frame.payload.length > 0 ? frame.payload : undefined;
    this.queuedBytes += head.length + (payload?.length ?? 0);
    const accepted =
      !this.waitingDrain && this.queuedBytes + this.sink.writableLength < this.highWaterMark;
    const done = accepted ? undefined : new Deferred<void>();
    this.queue.push({ head, payload, done });
    if (this.scheduled === undefined && !this.waitingDrain) {
      this.scheduled = setImmediate(() => {
        this.scheduled = undefined;
        this.flush();
      });
    }
    return done === undefined ? ACCEPTED : done.promise;
  }

  /** Resolves when nothing is queued or waiting for `drain` (or the writer has failed). */
  whenIdle(): Promise<void> {
    if (this.pendingFrames === 0 || this.failure !== undefined) return Promise.resolve();
    const waiter = new Deferred<void>();
    this.idleWaiters.push(waiter);
    return waiter.promise;
  }

  /** Rejects every queued frame and every later write with `error`. */
  fail(error: Error = new TTStreamError(TTStreamErrorCode.TransportClosing)): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.sink.removeListener('drain', this.onDrain);
    for (const item of this.inFlight) item.done?.reject(error);
    for (const item of this.queue) item.done?.reject(error);
    this.inFlight = [];
    this.queue = [];
    this.queuedBytes = 0;
    this.notifyIdle();
  }

  private flush(): void {
    if (this.failure !== undefined || this.queue.length === 0) return;
    if (this.sink.destroyed) {
      this.fail(
        new TTStreamError(TTStreamErrorCode.TransportClosing, { detail: 'socket destroyed' }),
      );
      return;
    }
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    const chunks = toChunks(batch);
    let belowMark = true;
    if (chunks.length === 1) {
      belowMark = this.sink.write(chunks[0] as Uint8Array);
    } else {
      this.sink.cork();
      for (const chunk of chunks) belowMark = this.sink.write(chunk);
      this.sink.uncork();
    }
    this.flushes++;
    if (this.hasFailed()) return;
    if (belowMark && !this.sink.writableNeedDrain) {
      this.settle(batch);
      this.notifyIdle();
      return;
    }
    this.inFlight = batch;
    this.waitingDrain = true;
    this.sink.once('drain', this.onDrain);
  }

  private hasFailed(): boolean {
    return this.failure !== undefined;
  }

  private settle(batch: readonly Pending[]): void {
    for (const item of batch) item.done?.resolve();
  }

  private notifyIdle(): void {
    if (this.pendingFrames > 0 && this.failure === undefined) return;
    for (const waiter of this.idleWaiters.splice(0)) waiter.resolve();
  }
}

/** Concatenates runs of small frames; large payloads stay separate chunks. */
function toChunks(batch: readonly Pending[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let runBytes = 0;
  const closeRun = (): void => {
    if (run.length === 1) chunks.push(run[0] as Uint8Array);
    else if (run.length > 1) chunks.push(Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const { head, payload } of batch) {
    run.push(head);
    runBytes += head.length;
    if (payload === undefined) continue;
    if (payload.length <= COPY_LIMIT) {
      run.push(payload);
      runBytes += payload.length;
    } else {
      closeRun();
      chunks.push(payload);
    }
  }
  closeRun();
  return chunks;
}
