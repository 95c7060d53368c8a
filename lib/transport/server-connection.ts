import type { Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import type { Frame, FrameInit } from '../protocol/frame.js';
import { FrameType } from '../protocol/frame-type.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { debug } from './debug.js';
import type { ServerStream, ServerStreamLink } from './server-stream.js';
import { StreamRegistry } from './stream-registry.js';
import { setLongTimeout } from './long-timeout.js';
import { oversizeFrameError } from './oversize-frame.js';

type AnyServerStream = ServerStream<never, never>;

/** What the server does with a connection's events. @internal not covered by semver */
export interface ServerConnectionOwner {
  /** A client HEADER arrived: create, refuse or route the stream. */
  onStreamHeader(connection: ServerConnection, frame: Frame): void;
  /**
   * The connection closed; its streams were aborted with 12013. `error` is the socket error,
   * the decode error (12004), or undefined on a clean close.
   */
  onConnectionClose(connection: ServerConnection, error: unknown): void;
  /** The connection's last stream ended. */
  onConnectionIdle(connection: ServerConnection): void;
  /** `count` streams left the connection (ended, or failed with it). */
  streamsEnded(count: number): void;
}

/** Options of a server connection. @internal not covered by semver */
export interface ServerConnectionOptions extends ConnectionOptions {
  /** Close the connection after this long without streams; 0 disables. */
  readonly idleTimeoutMs: number;
}

/**
 * A server connection: HEADER frames open streams, other frames go to their stream by id
 * (unknown ids are dropped), and a closing connection aborts every stream with 12013.
 * @internal not covered by semver
 */
export class ServerConnection implements ServerStreamLink {
  readonly connection: Connection;
  /** The peer's address (undefined on a unix socket); kept, as the socket forgets it on close. */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  private readonly registry = new StreamRegistry<AnyServerStream>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Socket,
    private readonly owner: ServerConnectionOwner,
    private readonly options: ServerConnectionOptions,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.connection = new Connection(
      socket,
      {
        onFrame: (frame) => {
          this.onFrame(frame);
        },
        onClose: (error) => {
          this.onClose(error);
        },
      },
      options,
    );
    this.armIdle();
  }

  get streamCount(): number {
    return this.registry.size;
  }

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  /** Registers `stream`; a live stream with the same id is returned (the caller resets it). */
  add(stream: AnyServerStream): AnyServerStream | undefined {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    return this.registry.add(stream);
  }

  streams(): IterableIterator<AnyServerStream> {
    return this.registry.values();
  }

  write(frame: FrameInit): Promise<void> {
    return this.connection.write(frame);
  }

  get lastWriteRefused(): boolean {
    return this.connection.lastWriteRefused;
  }

  dropQueued(streamId: number): void {
    this.connection.dropQueued(streamId);
  }

  /** An arrow property: every stream's receive buffer shares this one function. */
  readonly adjustBuffered = (delta: number): void => {
    this.connection.adjustBuffered(delta);
  };

  release(stream: AnyServerStream): void {
    if (!this.registry.delete(stream)) return;
    this.owner.streamsEnded(1);
    if (this.registry.size === 0) {
      this.armIdle();
      this.owner.onConnectionIdle(this);
    }
  }

  /** Flushes queued frames and closes. */
  end(timeoutMs?: number): Promise<void> {
    return this.connection.end(timeoutMs);
  }

  destroy(error?: unknown): void {
    this.connection.destroy(error);
  }

  private armIdle(): void {
    if (this.options.idleTimeoutMs <= 0 || this.idleTimer !== undefined) return;
    this.idleTimer = setLongTimeout(() => {
      this.idleTimer = undefined;
      if (this.registry.size === 0) {
        debug('server: closing idle connection');
        void this.end();
      }
    }, this.options.idleTimeoutMs);
  }

  private onFrame(frame: Frame): void {
    if (frame.type === FrameType.Header) {
      this.owner.onStreamHeader(this, frame);
      return;
    }
    const stream = this.registry.get(frame.streamId);
    if (stream === undefined) {
      debug('server: dropping frame type %d for unknown stream %d', frame.type, frame.streamId);
      return;
    }
    if (frame.oversize !== undefined) {
      stream.reset(oversizeFrameError('server', frame, this.connection.maxFrameBytes));
      return;
    }
    stream.onFrame(frame);
  }

  private onClose(error: unknown): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.owner.streamsEnded(this.registry.size);
    this.registry.failAll(
      // Kitex's text has no side tag here: `[ttstream error, code=12013] canceled by connection closed`.
      new TTStreamError(TTStreamErrorCode.CanceledByConnectionClose, { cause: error }),
    );
    this.owner.onConnectionClose(this, error);
  }
}
