import type { Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import type { FrameInit } from '../protocol/frame.js';
import { encodeFrameHeadInto, type FrameEncodeOptions } from '../protocol/frame-encoder.js';
import { FrameType } from '../protocol/frame-type.js';
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
  /** Largest LENGTH field of an outgoing frame; bigger frames are refused locally. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /**
   * Bytes queued here plus bytes buffered in the socket up to which `write()` resolves at once
   * (so awaited sends in a loop still batch into one flush). Default
   * {@link DEFAULT_WRITER_HIGH_WATER_MARK}.
   */
  readonly highWaterMark?: number;
}

/**
 * Default {@link FrameWriterOptions.highWaterMark}: 256 KiB. Measured in alternating
 * bench:transport runs, 100 server streams awaiting each send: 64 KiB ~415-445k msg/s, 256 KiB
 * ~455-560k (each flush wakes every waiting stream; more of them fit before the next flush).
 * The cost: one stream awaiting each send went from ~520k to ~370-390k (256 sends in flight: no
 * change). Connections serving one hot stream can set 64 KiB (`writeHighWaterMark`).
 */
export const DEFAULT_WRITER_HIGH_WATER_MARK = 256 * 1024;

/**
 * The bytes of one flush: at most about {@link FLUSH_LIMIT}, as staged slices of small frames and
 * large payloads by reference. Writes of the segment not accepted at once share one Deferred.
 */
interface Segment {
  readonly chunks: Uint8Array[];
  bytes: number;
  frames: number;
  done: Deferred<void> | undefined;
  /** Full-size staging buffers whose last bytes are in this segment: reusable once it is written. */
  retired: Buffer[] | undefined;
  /** Its large DATA frames, whose head and payload are chunks of their own: droppable. */
  large: LargeFrame[] | undefined;
}

/** A large DATA frame in a queued segment: `chunks[head]` is its head, `chunks[head + 1]` its payload. */
interface LargeFrame {
  readonly streamId: number;
  readonly head: number;
  readonly bytes: number;
}

const NO_BYTES = new Uint8Array(0);

/**
 * The promise `write()` returns for a frame accepted at once: shared, so the hot path allocates
 * no promise per frame. @internal not covered by semver
 */
export const ACCEPTED: Promise<void> = Promise.resolve();

/** Payloads up to this size are copied next to their head; larger ones are written as is. */
const COPY_LIMIT = 16 * 1024;

/**
 * One flush writes at most about this much and the rest goes on the next turn: 100 streams with
 * 256 sends in flight once made 25 MB flushes, starving reads (0.5-0.7x grpc-js).
 */
const FLUSH_LIMIT = 1024 * 1024;

/**
 * Sizes of the staging buffers small frames are copied into (instead of collecting them and
 * calling `Buffer.concat`): small while flushes are small (`allocUnsafe` serves up to 4 KiB from
 * Node's shared pool, and an idle connection pins little), large after a large flush.
 */
const STAGE_MIN_BYTES = 4 * 1024;
const STAGE_MAX_BYTES = 64 * 1024;

/**
 * Full-size staging buffers the sockets are done with, shared by all writers of the process
 * (so idle connections pin none) and at most {@link SPARE_STAGES} of them. Allocating a new
 * 64 KiB buffer per 64 KiB sent was external memory the server's GC kept chasing: reuse took
 * one bench run from 78 to 56 major GCs.
 */
const spareStages: Buffer[] = [];
const SPARE_STAGES = 16;

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
  /** Segments waiting to be flushed, oldest first; new frames go into the last one. */
  private segments: Segment[] = [];
  private inFlight: Segment | undefined;
  /** Staging buffer; bytes [stageStart, stageEnd) are staged but not yet in a segment's chunks. */
  private stage: Buffer = Buffer.allocUnsafe(0);
  private stageStart = 0;
  private stageEnd = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private waitingDrain = false;
  private failure: Error | undefined = undefined;
  private readonly encodeOptions: FrameEncodeOptions;
  private readonly highWaterMark: number;
  private queuedBytes = 0;
  private queuedFrames = 0;
  /** Bytes of the last flush: sizes the next staging buffer. */
  private lastFlushBytes = 0;
  private idleWaiters: Deferred<void>[] = [];
  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    this.inFlight?.done?.resolve();
    this.inFlight = undefined;
    if (this.segments.length > 0) this.flush();
    else this.notifyIdle();
  };
  private readonly onImmediate = (): void => {
    this.scheduled = undefined;
    this.flush();
  };

  /** Number of socket writes issued so far (tests and benchmarks use it). */
  flushes = 0;

  constructor(
    private readonly sink: FrameSink,
    options: FrameWriterOptions = {},
  ) {
    this.encodeOptions = { maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES };
    this.highWaterMark = options.highWaterMark ?? DEFAULT_WRITER_HIGH_WATER_MARK;
  }

  /** Frames queued or written but not yet below the high-water mark. */
  get pendingFrames(): number {
    return this.queuedFrames + (this.inFlight?.frames ?? 0);
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
    this.lastRefused = true;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const payload = frame.payload;
    const payloadBytes = payload === undefined ? 0 : payload.length;
    const copied = payloadBytes > 0 && payloadBytes <= COPY_LIMIT;
    // The head is encoded straight into the staging buffer (no head buffer per frame); when the
    // frame does not fit there, again into a new one.
    let headBytes: number;
    try {
      headBytes = encodeFrameHeadInto(frame, this.stage, this.stageEnd, this.encodeOptions);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    this.lastRefused = false;
    const segment = this.openSegment();
    const staged = headBytes + (copied ? payloadBytes : 0);
    if (this.stageEnd + staged > this.stage.length) {
      this.newStage(segment, staged);
      encodeFrameHeadInto(frame, this.stage, 0, this.encodeOptions);
    }
    if (copied) {
      this.stageEnd += headBytes;
      this.stage.set(payload as Uint8Array, this.stageEnd);
      this.stageEnd += payloadBytes;
    } else if (payloadBytes > 0) {
      // The head gets a chunk of its own, so that `drop` can take the frame out whole.
      this.sealStage(segment);
      this.stageEnd += headBytes;
      this.sealStage(segment);
      const head = segment.chunks.length - 1;
      segment.chunks.push(payload as Uint8Array);
      if (frame.type === FrameType.Data) {
        (segment.large ??= []).push({
          streamId: frame.streamId,
          head,
          bytes: headBytes + payloadBytes,
        });
      }
    } else {
      this.stageEnd += headBytes;
    }
    const size = headBytes + payloadBytes;
    segment.bytes += size;
    segment.frames++;
    this.queuedBytes += size;
    this.queuedFrames++;
    if (this.scheduled === undefined && !this.waitingDrain) {
      this.scheduled = setImmediate(this.onImmediate);
    }
    if (!this.waitingDrain && this.queuedBytes + this.sink.writableLength < this.highWaterMark) {
      return ACCEPTED;
    }
    segment.done ??= new Deferred<void>();
    return segment.done.promise;
  }

  /**
   * Takes the large DATA frames (payloads over 16 KiB) of stream `streamId` out of the queue, so
   * a stream that was reset stops costing bandwidth at once; frames already handed to the socket
   * still go. Small frames stay (they are cheap, and the HEADER and RST must go). Their `write()`
   * promises settle as if written.
   */
  drop(streamId: number): void {
    for (const segment of this.segments) {
      const large = segment.large;
      if (large === undefined) continue;
      for (const frame of large) {
        if (frame.streamId !== streamId || segment.chunks[frame.head] === NO_BYTES) continue;
        segment.chunks[frame.head] = NO_BYTES;
        segment.chunks[frame.head + 1] = NO_BYTES;
        segment.bytes -= frame.bytes;
        segment.frames--;
        this.queuedBytes -= frame.bytes;
        this.queuedFrames--;
        this.droppedBytes += frame.bytes;
      }
    }
  }

  /** True when the last {@link write} was refused at once (it could not queue the frame). */
  lastRefused = false;

  /** Bytes of frames {@link drop} took out of the queue (tests and stats use it). */
  droppedBytes = 0;

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
    this.inFlight?.done?.reject(error);
    for (const segment of this.segments) segment.done?.reject(error);
    this.inFlight = undefined;
    this.segments = [];
    this.stage = Buffer.allocUnsafe(0);
    this.stageStart = this.stageEnd = 0;
    this.queuedBytes = 0;
    this.queuedFrames = 0;
    this.notifyIdle();
  }

  /** The segment new frames go into: the last one, or a new one once it holds a flush's worth. */
  private openSegment(): Segment {
    const last = this.segments[this.segments.length - 1];
    if (last !== undefined && last.bytes < FLUSH_LIMIT) return last;
    if (last !== undefined) this.sealStage(last);
    const segment: Segment = {
      chunks: [],
      bytes: 0,
      frames: 0,
      done: undefined,
      retired: undefined,
      large: undefined,
    };
    this.segments.push(segment);
    return segment;
  }

  /** Seals the staged bytes into `segment` and stages from now on in a new buffer of >= `need` bytes. */
  private newStage(segment: Segment, need: number): void {
    this.sealStage(segment);
    // Its last bytes (if any are unwritten) are in `segment`: written no later than it.
    if (this.stage.length === STAGE_MAX_BYTES) (segment.retired ??= []).push(this.stage);
    const hint = Math.min(STAGE_MAX_BYTES, Math.max(STAGE_MIN_BYTES, this.lastFlushBytes * 2));
    const size = Math.max(hint, need);
    const spare = size === STAGE_MAX_BYTES ? spareStages.pop() : undefined;
    this.stage = spare ?? Buffer.allocUnsafe(size);
    this.stageStart = this.stageEnd = 0;
  }

  /**
   * Moves the staged bytes into `segment` as one chunk. Later frames are staged after them, so
   * the slice handed to the socket is never written again.
   */
  private sealStage(segment: Segment): void {
    if (this.stageEnd === this.stageStart) return;
    segment.chunks.push(this.stage.subarray(this.stageStart, this.stageEnd));
    this.stageStart = this.stageEnd;
  }

  private flush(): void {
    if (this.failure !== undefined) return;
    const segment = this.segments.shift();
    if (segment === undefined) return;
    if (this.sink.destroyed) {
      this.segments.unshift(segment);
      this.fail(
        new TTStreamError(TTStreamErrorCode.TransportClosing, { detail: 'socket destroyed' }),
      );
      return;
    }
    if (this.segments.length === 0) this.sealStage(segment);
    this.queuedBytes -= segment.bytes;
    this.queuedFrames -= segment.frames;
    const { retired } = segment;
    const chunks =
      segment.large === undefined ? segment.chunks : segment.chunks.filter((c) => c !== NO_BYTES);
    // Retired staging buffers are reused once the socket is done with them (the callback of
    // the segment's last write: socket writes complete in order).
    const onWritten =
      retired === undefined
        ? undefined
        : (error?: Error | null): void => {
            if (error == null) recycle(retired);
          };
    let belowMark = true;
    if (chunks.length === 1) {
      belowMark = this.sink.write(chunks[0] as Uint8Array, onWritten);
    } else if (chunks.length > 1) {
      this.sink.cork();
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) this.sink.write(chunks[i] as Uint8Array);
      belowMark = this.sink.write(chunks[last] as Uint8Array, onWritten);
      this.sink.uncork();
    }
    this.flushes++;
    this.lastFlushBytes = segment.bytes;
    if (this.hasFailed()) return; // a synchronous socket error may have failed the writer

    if (belowMark && !this.sink.writableNeedDrain) {
      segment.done?.resolve();
      // More than one flush's worth was queued: the rest goes on the next turn, so reads and
      // timers run in between.
      if (this.segments.length > 0) this.scheduled ??= setImmediate(this.onImmediate);
      else this.notifyIdle();
      return;
    }
    this.inFlight = segment;
    this.waitingDrain = true;
    this.sink.once('drain', this.onDrain);
  }

  private hasFailed(): boolean {
    return this.failure !== undefined;
  }

  private notifyIdle(): void {
    if (this.pendingFrames > 0 && this.failure === undefined) return;
    for (const waiter of this.idleWaiters.splice(0)) waiter.resolve();
  }
}

/** Keeps staging buffers the socket has written for reuse, up to {@link SPARE_STAGES}. */
function recycle(stages: readonly Buffer[]): void {
  for (const stage of stages) if (spareStages.length < SPARE_STAGES) spareStages.push(stage);
}
