import type { Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { HEADER_CONNECTION_RESET } from '../protocol/header-keys.js';
import { PingPongDecodeError } from '../protocol/pingpong-decode-error.js';
import { PingPongDecoder, type PingPongMessage } from '../protocol/pingpong-decoder.js';
import { encodePingPong, type PingPongInit } from '../protocol/pingpong-encoder.js';
import { carriesHeaders } from '../protocol/pingpong-shape.js';
import { debug } from './debug.js';
import { setLongTimeout } from './long-timeout.js';
import { ReadDeadline } from './read-deadline.js';

/** A reply to write, in request order. @internal not covered by semver */
export interface PingPongReply {
  readonly init: PingPongInit;
  /** Close the connection once this reply is written (Kitex does so after a read error). */
  readonly closeAfter?: boolean;
}

/** What the unary server does with a ping-pong connection's events. @internal */
export interface PingPongConnectionOwner {
  /**
   * One request. Resolves with the reply to write, or undefined when there is none (oneway);
   * never rejects.
   */
  onMessage(
    connection: PingPongServerConnection,
    message: PingPongMessage,
  ): Promise<PingPongReply | undefined>;
  /** The connection closed (`error`: why, when it was not a clean close). */
  onClose(connection: PingPongServerConnection, error: unknown): void;
  /** The connection's last call in flight ended. */
  onIdle(connection: PingPongServerConnection): void;
}

/** Limits of one ping-pong connection. @internal */
export interface PingPongConnectionOptions {
  readonly maxMessageBytes: number | undefined;
  readonly maxHeaderKeys: number | undefined;
  readonly maxHeaderBytes: number | undefined;
  /** Calls handled at once; reading pauses at this many (pipelining clients wait). */
  readonly maxCallsInFlight: number;
  /** Reply bytes the socket may hold before reading pauses (a client that does not read). */
  readonly writeHighWaterMark: number;
  /** Close after this long without a call; 0 disables. */
  readonly idleTimeoutMs: number;
  readonly frameTimeoutMs: number;
  readonly firstFrameTimeoutMs: number;
}

interface Slot {
  done: boolean;
  reply: PingPongReply | undefined;
}

/**
 * A connection carrying unary and oneway calls (TTHeader, Framed or Buffered, mixed at will).
 * Calls run concurrently; replies leave in request order, each in the shape of its request.
 * Reading pauses while `maxCallsInFlight` calls run or the socket holds too many reply bytes,
 * so a connection costs a bounded amount of memory whatever its peer sends.
 * @internal not covered by semver
 */
export class PingPongServerConnection {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  private readonly decoder: PingPongDecoder;
  private readonly deadline: ReadDeadline;
  private readonly closed = new AbortController();
  private readonly slots: Slot[] = [];
  /**
   * Requests read but not started: one socket chunk may complete many messages, more than
   * `maxCallsInFlight`; they wait here (reading is paused meanwhile, so this stays bounded).
   */
  private readonly waiting: PingPongMessage[] = [];
  private inFlight = 0;
  private paused = false;
  /** Set once no more requests are read (a reply closes the connection, or it is ending). */
  private ending = false;
  /** The peer has half-closed: the requests already read are still answered. */
  private peerEnded = false;
  /** Bad bytes came after good requests: those are answered, nothing more is read. */
  private readFailed = false;
  /** Shutdown: every reply carries `crrst`, and the connection ends once it has no call. */
  private draining = false;
  private closeError: unknown;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    private readonly owner: PingPongConnectionOwner,
    private readonly options: PingPongConnectionOptions,
  ) {
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.decoder = new PingPongDecoder({
      maxMessageBytes: options.maxMessageBytes,
      maxHeaderKeys: options.maxHeaderKeys,
      maxHeaderBytes: options.maxHeaderBytes,
    });
    this.deadline = new ReadDeadline(
      {
        frameTimeoutMs: options.frameTimeoutMs,
        firstFrameTimeoutMs: options.firstFrameTimeoutMs,
      },
      (reason) => {
        this.destroy(new TTStreamError(TTStreamErrorCode.TransportClosing, { detail: reason }));
      },
    );
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('drain', () => {
      this.updatePause();
    });
    socket.on('error', (error: Error) => {
      this.closeError ??= error;
    });
    socket.on('end', () => {
      // The client is done sending; replies still in flight go out, then the socket closes.
      this.peerEnded = true;
      this.endWhenIdle();
    });
    socket.on('close', () => {
      this.onSocketClose();
    });
    this.armIdle();
  }

  /** Aborted when the connection closes: calls running on it lose their client. */
  get signal(): AbortSignal {
    return this.closed.signal;
  }

  /** Calls whose reply has not been written yet (started or waiting to start). */
  get callsInFlight(): number {
    return this.inFlight + this.waiting.length;
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Graceful shutdown: replies carry `crrst`; the connection ends once its calls are done. */
  drain(): void {
    this.draining = true;
    this.endWhenIdle();
  }

  /**
   * End of a graceful shutdown: a connection with no call left closes once its replies are
   * flushed (destroyed after `flushMs` if the peer does not read them); one with calls still
   * running closes at once, aborting them.
   */
  async end(flushMs: number, error: unknown): Promise<void> {
    if (this.socket.destroyed) return;
    if (this.callsInFlight > 0) {
      this.destroy(error);
      return;
    }
    const timer = setTimeout(() => {
      this.destroy(error);
    }, flushMs);
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => {
        resolve();
      });
      this.ending = true;
      this.socket.end();
    });
    clearTimeout(timer);
  }

  /** Closes at once. */
  destroy(error?: unknown): void {
    if (error !== undefined) this.closeError ??= error;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.ending || this.readFailed) return;
    let messages: PingPongMessage[];
    try {
      messages = this.decoder.push(chunk);
    } catch (error) {
      debug('ping-pong: bad bytes, closing connection: %s', String(error));
      const before = error instanceof PingPongDecodeError ? error.messagesBefore : [];
      if (before.length === 0) {
        this.destroy(error);
        return;
      }
      // Kitex reads one request at a time, so it answers the requests before the bad bytes and
      // only then fails the read: answer them too, then close once their replies are written.
      this.closeError ??= error;
      this.readFailed = true;
      this.deadline.stop();
      this.socket.pause();
      this.waiting.push(...before);
      this.startWaiting();
      return;
    }
    this.deadline.onData(this.decoder.midMessage, messages.length > 0);
    this.waiting.push(...messages);
    this.startWaiting();
    this.updatePause();
  }

  /** Starts the waiting requests, in order, while fewer than `maxCallsInFlight` run. */
  private startWaiting(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.maxCallsInFlight) {
      if (this.ending || this.socket.destroyed) {
        this.waiting.length = 0;
        return;
      }
      this.startCall(this.waiting.shift() as PingPongMessage);
    }
  }

  private startCall(message: PingPongMessage): void {
    const slot: Slot = { done: false, reply: undefined };
    this.slots.push(slot);
    this.inFlight++;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    void this.owner.onMessage(this, message).then((reply) => {
      slot.done = true;
      slot.reply = reply;
      this.inFlight--;
      this.flush();
      this.startWaiting();
      this.updatePause();
      if (this.callsInFlight === 0) {
        this.armIdle();
        this.owner.onIdle(this);
        this.endWhenIdle();
      }
    });
  }

  /** Writes the replies at the head of the queue whose calls are done. */
  private flush(): void {
    while (this.slots.length > 0 && (this.slots[0] as Slot).done) {
      const { reply } = this.slots.shift() as Slot;
      if (reply === undefined || this.socket.destroyed) continue;
      const closing = reply.closeAfter === true || this.draining;
      let bytes: Uint8Array;
      try {
        bytes = encodePingPong(closing ? withConnectionReset(reply.init) : reply.init);
      } catch (error) {
        debug('ping-pong: reply not encodable, closing connection: %s', String(error));
        this.destroy(error);
        return;
      }
      this.socket.write(bytes);
      if (reply.closeAfter === true) {
        // Requests read after this one are dropped, as Kitex closes after such a reply.
        this.ending = true;
        this.slots.length = 0;
        this.waiting.length = 0;
        this.socket.end();
        return;
      }
    }
  }

  private updatePause(): void {
    if (this.readFailed) return; // paused for good
    const pause =
      this.callsInFlight >= this.options.maxCallsInFlight ||
      this.socket.writableLength > this.options.writeHighWaterMark;
    if (pause === this.paused || this.socket.destroyed) return;
    this.paused = pause;
    if (pause) {
      this.socket.pause();
      this.deadline.pause();
    } else {
      this.socket.resume();
      this.deadline.onData(this.decoder.midMessage, false);
    }
  }

  private endWhenIdle(): void {
    const done = this.draining || this.ending || this.peerEnded || this.readFailed;
    if (done && this.callsInFlight === 0 && !this.socket.destroyed) {
      this.ending = true;
      if (!this.readFailed) {
        this.socket.end();
        return;
      }
      // Nothing more is read from this peer (its bytes are bad): close once the replies are out.
      this.socket.end(() => this.socket.destroy());
    }
  }

  private armIdle(): void {
    // A call that ends after its connection closed must not leave a timer holding it.
    if (this.options.idleTimeoutMs <= 0 || this.idleTimer !== undefined || this.socket.destroyed)
      return;
    this.idleTimer = setLongTimeout(() => {
      this.idleTimer = undefined;
      if (this.callsInFlight === 0) {
        debug('ping-pong: closing idle connection');
        this.ending = true;
        this.socket.end();
      }
    }, this.options.idleTimeoutMs);
  }

  private onSocketClose(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.deadline.stop();
    this.ending = true;
    this.closed.abort(
      new TTStreamError(TTStreamErrorCode.CanceledByConnectionClose, { cause: this.closeError }),
    );
    this.owner.onClose(this, this.closeError);
  }
}

function withConnectionReset(init: PingPongInit): PingPongInit {
  if (!carriesHeaders(init.shape)) return init;
  const strHeaders = new Map(init.strHeaders);
  strHeaders.set(HEADER_CONNECTION_RESET, '1');
  return { ...init, strHeaders };
}
