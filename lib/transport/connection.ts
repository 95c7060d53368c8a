import type { Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode, isTTStreamError } from '../errors/index.js';
import type { Frame, FrameInit } from '../protocol/frame.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { FrameDecodeError } from '../protocol/frame-decode-error.js';
import { isKnownFrameType } from '../protocol/frame-type.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/ttheader-constants.js';
import { debug } from './debug.js';
import { inDeliveryBatch } from './delivery-batch.js';
import { FrameWriter } from './frame-writer.js';
import { ReadDeadline } from './read-deadline.js';

/** Default {@link ConnectionOptions.frameTimeoutMs}. */
export const DEFAULT_FRAME_TIMEOUT_MS = 60_000;

/** Options shared by both ends' connections. */
export interface ConnectionOptions {
  /** Largest frame (LENGTH field) accepted or sent. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /**
   * Received payload bytes buffered by all streams of the connection before reading from the
   * socket pauses; reading resumes below half of it. Default 64 MiB.
   */
  readonly maxConnectionBufferBytes?: number;
  /**
   * Bytes queued (writer plus socket) below which a write resolves at once.
   * Default `DEFAULT_WRITER_HIGH_WATER_MARK` (256 KiB).
   */
  readonly writeHighWaterMark?: number;
  /**
   * Once a frame's first byte has arrived, how long the rest may take before the connection is
   * closed (12006); 0 disables. Default 60 000 ms: a slow link still gets a 64 MiB frame in.
   */
  readonly frameTimeoutMs?: number;
  /** How long a new connection may take to complete its first frame; 0 (default) disables. */
  readonly firstFrameTimeoutMs?: number;
  /** Most key/value pairs in one received frame's header. Default 4096. */
  readonly maxHeaderKeys?: number;
  /** Most header info bytes in one received frame. Default 128 KiB. */
  readonly maxHeaderBytes?: number;
}

/** What a connection reports to its owner. */
export interface ConnectionHandler {
  /** One decoded frame of a known type. Throwing here destroys the connection. */
  onFrame(frame: Frame): void;
  /**
   * The connection is closed. `error` is the decode error (12004) when the peer sent bad bytes,
   * the error the owner passed to `destroy`, the socket error, or undefined on a clean close.
   */
  onClose(error: unknown): void;
}

/** Default per-connection receive cap. */
export const DEFAULT_CONNECTION_BUFFER_BYTES = 64 * 1024 * 1024;

/**
 * One socket, one frame decoder, one writer. Frames of unknown types are skipped and counted;
 * malformed bytes end the connection with a 12004 error; `onClose` is called exactly once.
 * @internal not covered by semver
 */
export class Connection {
  readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;
  private closeError: unknown = undefined;
  private closed = false;
  private bufferedBytes = 0;
  private paused = false;
  private readonly maxBufferBytes: number;
  /** Frames of unknown types skipped so far. */
  skippedFrames = 0;
  /** The LENGTH cap of received and sent frames. */
  readonly maxFrameBytes: number;
  private readonly deadline: ReadDeadline;

  constructor(
    readonly socket: Socket,
    private readonly handler: ConnectionHandler,
    options: ConnectionOptions = {},
  ) {
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxBufferBytes = options.maxConnectionBufferBytes ?? DEFAULT_CONNECTION_BUFFER_BYTES;
    this.writer = new FrameWriter(socket, {
      maxFrameBytes,
      highWaterMark: options.writeHighWaterMark,
    });
    this.maxFrameBytes = maxFrameBytes;
    this.decoder = new FrameDecoder({
      maxFrameBytes,
      // A frame over the cap costs only its stream (the connection reads past its payload).
      oversize: 'skip',
      maxHeaderKeys: options.maxHeaderKeys,
      maxHeaderBytes: options.maxHeaderBytes,
    });
    this.deadline = new ReadDeadline(
      {
        frameTimeoutMs: options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS,
        firstFrameTimeoutMs: options.firstFrameTimeoutMs ?? 0,
      },
      (reason) => {
        debug('read timeout, closing connection: %s', reason);
        this.destroy(new TTStreamError(TTStreamErrorCode.TransportClosing, { detail: reason }));
      },
    );
    // Readers of the chunk's streams are called back once all its frames were handled.
    socket.on('data', (chunk: Buffer) => {
      inDeliveryBatch(this.onData, chunk);
    });
    socket.on('error', (error: Error) => {
      debug('socket error: %s', error.message);
      this.closeError ??= error;
    });
    socket.on('end', () => {
      // The peer half-closed; we never keep half-open ttstream connections.
      socket.end();
    });
    socket.on('close', () => {
      this.onSocketClose();
    });
  }

  /** True once the socket closed or `destroy` was called. */
  get isClosed(): boolean {
    return this.closed || this.socket.destroyed;
  }

  /** True once closed or closing (either side sent FIN): no new stream should use it. */
  get isClosing(): boolean {
    return this.isClosed || this.socket.readableEnded || this.socket.writableEnded;
  }

  /** Queues one frame; see {@link FrameWriter.write}. */
  write(frame: FrameInit): Promise<void> {
    return this.writer.write(frame);
  }

  /** True when the last `write` was refused at once (frame too large, writer failed). */
  get lastWriteRefused(): boolean {
    return this.writer.lastRefused;
  }

  /** Takes a reset stream's queued large DATA frames out; see {@link FrameWriter.drop}. */
  dropQueued(streamId: number): void {
    this.writer.drop(streamId);
  }

  /** Bytes of frames taken out of the write queue because their stream was reset. */
  get droppedBytes(): number {
    return this.writer.droppedBytes;
  }

  /** Streams report bytes they buffer (+) and release (-); reading pauses over the cap. */
  adjustBuffered(delta: number): void {
    this.bufferedBytes += delta;
    if (!this.paused && this.bufferedBytes > this.maxBufferBytes) {
      this.paused = true;
      this.socket.pause();
      this.deadline.pause();
      debug('connection paused at %d buffered bytes', this.bufferedBytes);
    } else if (this.paused && this.bufferedBytes <= this.maxBufferBytes / 2) {
      this.paused = false;
      this.socket.resume();
      this.deadline.onData(this.decoder.midFrame, false);
    }
  }

  /** True while reading is paused because the streams buffer too much. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes buffered by this connection's streams. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Closes at once; queued frames are dropped. `error` is what `onClose` receives. */
  destroy(error?: unknown): void {
    if (error !== undefined) this.closeError ??= error;
    this.writer.fail(
      new TTStreamError(TTStreamErrorCode.TransportClosing, {
        detail: 'connection closed',
        cause: error,
      }),
    );
    this.socket.destroy();
  }

  /**
   * Flushes queued frames, then ends the socket. If flushing and closing take longer than
   * `timeoutMs` (a peer that stopped reading), the socket is destroyed. Resolves once closed.
   */
  async end(timeoutMs = 1000): Promise<void> {
    if (this.isClosed) return;
    const timer = setTimeout(() => {
      this.socket.destroy();
    }, timeoutMs);
    try {
      await this.writer.whenIdle();
      await new Promise<void>((resolve) => {
        if (this.isClosed) {
          resolve();
          return;
        }
        this.socket.once('close', () => {
          resolve();
        });
        this.socket.end();
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      const decodeError =
        error instanceof FrameDecodeError
          ? error
          : new TTStreamError(TTStreamErrorCode.IllegalFrame, {
              detail: 'decode failed',
              cause: error,
            });
      if (error instanceof FrameDecodeError) this.dispatch(error.framesBefore);
      debug('illegal frame, closing connection: %s', decodeError.message);
      this.destroy(decodeError);
      return;
    }
    this.deadline.onData(this.decoder.midFrame, frames.length > 0);
    this.dispatch(frames);
  };

  private dispatch(frames: readonly Frame[]): void {
    for (const frame of frames) {
      if (this.closed || this.socket.destroyed) return;
      if (!isKnownFrameType(frame.type)) {
        this.skippedFrames++;
        debug('skipping frame of unknown type %d on stream %d', frame.type, frame.streamId);
        continue;
      }
      try {
        this.handler.onFrame(frame);
      } catch (error) {
        debug('frame handler failed: %s', String(error));
        this.destroy(
          isTTStreamError(error)
            ? error
            : new TTStreamError(TTStreamErrorCode.TransportClosing, { cause: error }),
        );
        return;
      }
    }
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.deadline.stop();
    this.writer.fail(
      new TTStreamError(TTStreamErrorCode.TransportClosing, {
        detail: 'connection closed',
        cause: this.closeError,
      }),
    );
    this.handler.onClose(this.closeError);
  }
}
