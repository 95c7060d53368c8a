import { TTStreamError, TTStreamErrorCode, isTTStreamError } from '../errors/index.js';
import type { Frame, FrameInit } from '../protocol/frame.js';
import { FrameType } from '../protocol/frame-type.js';
import { IntHeaderKey } from '../protocol/int-header-key.js';
import { handlerReturnedError, streamTimeoutError } from './cancel-errors.js';
import { exceptionPayload, trailerFromError } from './error-to-trailer.js';
import { headersToMetainfo, type Metainfo } from '../protocol/metainfo.js';
import { outFrame } from './out-frame.js';
import { RecvBuffer, type RecvBufferLimits } from './recv-buffer.js';
import { SendLimiter, type SendBufferLimits, type WrittenListener } from './send-limiter.js';
import { SERVER_TRANSITIONS, StreamStateMachine, type ServerStreamEvent } from './stream-state.js';
import type { CascadeChild, CascadeParent } from './stream-scope.js';
import { describeValue, toError } from './to-error.js';
import { errorFromRst, errorFromTrailer } from './trailer-to-error.js';
import { setLongTimeout } from './long-timeout.js';
import { sharedHeaders, type ServerStreamRoute, type StreamMode } from './server-stream-route.js';

export {
  serverStreamRoute,
  type ServerStreamRoute,
  type StreamMode,
} from './server-stream-route.js';

/** The connection side of a server stream. @internal not covered by semver */
export interface ServerStreamLink {
  write(frame: FrameInit): Promise<void>;
  /** Safe to call detached (streams pass it around as is). */
  readonly adjustBuffered: (delta: number) => void;
  readonly isClosed: boolean;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  release(stream: ServerStream<never, never>): void;
  /** Takes the stream's queued large DATA frames out of the write queue (it was reset). */
  dropQueued(streamId: number): void;
  /** True when the last write was refused at once (nothing was queued). */
  readonly lastWriteRefused: boolean;
}

/** Server-wide settings a stream needs. @internal not covered by semver */
export interface ServerStreamSettings {
  readonly recvBuffer?: RecvBufferLimits;
  readonly sendBuffer?: SendBufferLimits;
  readonly hideErrorMessages?: boolean;
  readonly mapError?: (error: unknown) => unknown;
}

const noop = (): void => undefined;

/**
 * The server side of one stream, handed to a handler. Receive requests with `for await` or
 * `recv()`; `send()` responses (the HEADER goes out lazily before the first DATA, on
 * `sendHeader()`, or at the end). How the handler ends decides the TRAILER (`trailerFromError`).
 *
 * `signal` aborts with a `TTStreamError`: 12010 when the client sends RST (code, message and
 * path of the peer), 12013 when the connection closes, 12015 at the client's deadline (int key
 * 12), and 12012 once the handler has returned.
 */
export class ServerStream<Req, Res> implements AsyncIterable<Req>, CascadeParent {
  readonly streamId: number;
  /**
   * The client's string headers (including `isn` and metainfo keys). Read-only: streams whose
   * client sent only `isn` share one map.
   */
  readonly headers: ReadonlyMap<string, string>;
  /** The client's timeout (int key 12) in ms, if it sent one. */
  readonly remoteTimeoutMs: number | undefined;
  private readonly state = new StreamStateMachine<ServerStreamEvent>(SERVER_TRANSITIONS);
  private readonly buffer: RecvBuffer;
  /** Created with the first send (an idle stream never needs one). */
  private sendLimiter: SendLimiter | undefined;
  // Created on first use: most streams never need them, and idle streams are counted in KB.
  private abortController: AbortController | undefined;
  private endReason: Error | undefined;
  private metainfoCache: Metainfo | undefined;
  private responseHeaders: Map<string, string> | undefined;
  private responseTrailers: Map<string, string> | undefined;
  private children: Set<CascadeChild> | undefined;
  private headerSent = false;
  /** True once nothing more may be written for this stream (trailer/RST sent or received). */
  private silent = false;
  private sentMessages = 0;
  private sentPayloadBytes = 0;
  /** Payload size of the DATA frame {@link queueData} queued last. */
  private lastDataBytes = 0;
  private receivedMessages = 0;
  private receivedPayloadBytes = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private released = false;

  /** @internal created by the server when a client HEADER arrives. */
  constructor(
    header: Frame,
    private readonly route: ServerStreamRoute<Req, Res>,
    private readonly settings: ServerStreamSettings,
    private readonly link: ServerStreamLink,
  ) {
    this.streamId = header.streamId;
    this.headers = sharedHeaders(header.strHeaders, route);
    const timeoutText = header.intHeaders.get(IntHeaderKey.RPCTimeout);
    const timeout = timeoutText === undefined ? NaN : Number(timeoutText);
    this.remoteTimeoutMs = Number.isInteger(timeout) && timeout > 0 ? timeout : undefined;
    this.buffer = new RecvBuffer(settings.recvBuffer, link.adjustBuffered);
  }

  private get sends(): SendLimiter {
    this.sendLimiter ??= new SendLimiter(this.settings.sendBuffer);
    return this.sendLimiter;
  }

  /** The IDL service name. */
  get service(): string {
    return this.route.service;
  }

  /** The IDL method name. */
  get method(): string {
    return this.route.method;
  }

  /** The IDL `streaming.mode` of the method. */
  get mode(): StreamMode {
    return this.route.mode;
  }

  /** The client's IP address (undefined on a unix socket). */
  get remoteAddress(): string | undefined {
    return this.link.remoteAddress;
  }

  /** The client's port (undefined on a unix socket). */
  get remotePort(): number | undefined {
    return this.link.remotePort;
  }

  /** Metainfo sent by the client. */
  get metainfo(): Metainfo {
    this.metainfoCache ??= headersToMetainfo(this.headers);
    return this.metainfoCache;
  }

  /** Bytes waiting in the receive buffer (payloads plus a fixed per-message overhead). */
  get bufferedBytes(): number {
    return this.buffer.bytes;
  }

  /** Aborted with a `TTStreamError` when the stream is cancelled or the handler has returned. */
  get signal(): AbortSignal {
    if (this.abortController === undefined) {
      this.abortController = new AbortController();
      if (this.endReason !== undefined) this.abortController.abort(this.endReason);
    }
    return this.abortController.signal;
  }

  /** Adds a HEADER key; throws 12005 once the HEADER has been sent. */
  setHeader(key: string, value: string): void {
    if (this.headerSent) throw this.illegal('header already sent');
    (this.responseHeaders ??= new Map()).set(key, value);
  }

  /** Sends the HEADER now. A second call rejects locally (12002) and writes nothing. */
  sendHeader(): Promise<void> {
    if (this.headerSent) {
      return Promise.reject(
        new TTStreamError(TTStreamErrorCode.UnexpectedHeader, {
          side: 'server',
          detail: 'header already sent',
        }),
      );
    }
    if (this.silent) return Promise.reject(this.closedError());
    return this.writeHeader();
  }

  /** Adds a TRAILER key (sent with the end of the stream, also on failure). */
  setTrailer(key: string, value: string): void {
    (this.responseTrailers ??= new Map()).set(key, value);
  }

  /** Sends one response; resolves when the socket accepted it below its high-water mark. */
  send(message: Res): Promise<void> {
    try {
      const written = this.queueData(message);
      return this.sends.track(this.lastDataBytes, written);
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  /**
   * {@link send} without a promise, for the server's own writer: true when the socket took the
   * message at once; otherwise `onWritten` is called once it was written or failed. Throws what
   * `send` would reject with at once. @internal
   */
  sendThen(message: Res, onWritten: WrittenListener): boolean {
    const written = this.queueData(message);
    return this.sends.notify(this.lastDataBytes, written, onWritten);
  }

  /** Encodes and queues one DATA frame (the HEADER first, once); throws when it may not. */
  private queueData(message: Res): Promise<void> {
    if (this.silent || !this.state.can('send')) throw this.closedError();
    if (this.mode === 'client' && this.sentMessages >= 1) {
      throw this.illegal('a client-streaming method sends one response');
    }
    const payload = this.route.responseCodec.encode(message);
    const refusal = this.sends.refuse(payload.length);
    if (refusal !== undefined) throw refusal;
    if (!this.headerSent) this.writeHeader().catch(noop);
    const written = this.writeFrame(FrameType.Data, payload);
    this.lastDataBytes = payload.length;
    // Only a DATA frame the writer took counts (not one over maxFrameBytes).
    if (!this.link.lastWriteRefused) {
      this.sentMessages++;
      this.sentPayloadBytes += payload.length;
    }
    return written;
  }

  /** DATA frames sent on this stream so far (queued for the socket; refused ones excluded). */
  get sentCount(): number {
    return this.sentMessages;
  }

  /** Payload bytes of the DATA frames counted by {@link sentCount}. */
  get sentBytes(): number {
    return this.sentPayloadBytes;
  }

  /** DATA frames received and queued for the handler so far. */
  get receivedCount(): number {
    return this.receivedMessages;
  }

  /** Payload bytes of the DATA frames counted by {@link receivedCount}. */
  get receivedBytes(): number {
    return this.receivedPayloadBytes;
  }

  /** The next request, `{ done: true }` after the client's half-close, or the cancel error. */
  recv(): Promise<IteratorResult<Req, undefined>> {
    // Not async, and the decoding is the route's shared function applied on delivery: no
    // closure, async-function state or second promise on a stream that waits.
    return this.buffer.nextMapped(this.route.toResult);
  }

  /**
   * The next request if one was already received (or `{ done: true }` after the half-close),
   * without waiting; undefined when {@link recv} would have to wait or reject.
   */
  tryRecv(): IteratorResult<Req, undefined> | undefined {
    return this.buffer.takeMapped(this.route.toResult);
  }

  /** {@link recv} with callbacks, never called back synchronously: no promise per request. */
  recvThen(
    onResult: (result: IteratorResult<Req, undefined>) => void,
    onError: (error: Error) => void,
  ): void {
    this.buffer.readThen(this.route.toResult, onResult, onError);
  }

  [Symbol.asyncIterator](): AsyncIterator<Req, undefined> {
    return new RecvIterator(this);
  }

  /** @internal */
  addChild(child: CascadeChild): void {
    (this.children ??= new Set()).add(child);
  }

  /** @internal */
  removeChild(child: CascadeChild): void {
    this.children?.delete(child);
  }

  /** @internal Arms the deadline the client sent. */
  start(): void {
    const timeoutMs = this.remoteTimeoutMs;
    if (timeoutMs === undefined) return;
    this.deadlineTimer = setLongTimeout(() => {
      this.deadlineTimer = undefined;
      const error = streamTimeoutError('server', timeoutMs);
      if (this.state.apply('deadline') === undefined) return;
      this.writeEnd(error);
      this.end(error);
    }, timeoutMs);
  }

  /** @internal A DATA, TRAILER or RST frame for this stream. */
  onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.Data:
        if (!this.state.can('recvData')) return;
        this.receivedMessages++;
        this.receivedPayloadBytes += frame.payload.length;
        if (!this.buffer.push(frame.payload)) {
          this.reset(
            new TTStreamError(TTStreamErrorCode.InternalCancel, {
              side: 'server',
              detail: 'recv buffer overflow: the handler is not keeping up',
            }),
          );
        }
        return;
      case FrameType.Trailer:
        if (this.state.apply('recvTrailer') === undefined) return;
        this.buffer.end(errorFromTrailer(frame, 'server'));
        return;
      case FrameType.Rst: {
        if (this.state.apply('recvRst') === undefined) return;
        this.silent = true;
        this.link.dropQueued(this.streamId);
        this.end(errorFromRst(frame, 'server'));
        return;
      }
      default:
        return; // HEADER is handled by the connection; META is ignored.
    }
  }

  /** @internal The connection closed: abort with `error` (12013), write nothing. */
  failFromConnection(error: unknown): void {
    if (this.state.apply('connectionClosed') === undefined) return;
    this.silent = true;
    this.end(toError(error));
  }

  /**
   * Resets the stream from the server: sends an RST (the client sees 12009 with this code) and
   * aborts `signal`; nothing else is sent on the stream afterwards. A `TTStreamError` reason
   * gives the RST its code and message; anything else is sent as 12011 with its text. A no-op
   * once the stream has ended.
   */
  cancel(reason?: unknown): void {
    const error =
      reason instanceof TTStreamError
        ? reason
        : new TTStreamError(TTStreamErrorCode.InternalCancel, {
            side: 'server',
            detail: reason === undefined ? 'canceled by the server' : describeValue(reason),
            cause: reason,
          });
    this.reset(error);
  }

  /**
   * @internal Ends the stream from this side with an RST carrying `error`'s code and message
   * (receive overflow, graceful-shutdown timeout, a replaced stream id); the handler is aborted.
   */
  reset(error: TTStreamError, sendRst = true): void {
    if (this.state.apply('connectionClosed') === undefined) return;
    this.link.dropQueued(this.streamId);
    if (sendRst && !this.silent && !this.link.isClosed) {
      this.writeFrame(FrameType.Rst, exceptionPayload(this, error.code, error.detail)).catch(noop);
    }
    this.silent = true;
    this.end(error);
  }

  /** @internal The handler settled: send HEADER (if unsent) and the TRAILER for `error`. */
  finish(error: unknown): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const returned = handlerReturnedError();
    if (this.state.apply('handlerReturn') !== undefined) this.writeEnd(error);
    this.end(returned, false);
  }

  /** True once the handler may no longer write. */
  get isEnded(): boolean {
    return this.silent || this.state.isInactive;
  }

  private writeEnd(error: unknown): void {
    if (this.silent || this.link.isClosed) return;
    if (!this.headerSent) this.writeHeader().catch(noop);
    const mapped =
      error === undefined || this.settings.mapError === undefined
        ? error
        : this.settings.mapError(error);
    const content = trailerFromError(mapped, {
      method: this.method,
      streamId: this.streamId,
      hideErrorMessages: this.settings.hideErrorMessages,
    });
    const strHeaders = new Map(this.responseTrailers);
    for (const [k, v] of content.strHeaders) strHeaders.set(k, v);
    this.writeFrame(FrameType.Trailer, content.payload, strHeaders).catch(noop);
    this.silent = true;
  }

  /** Aborts the signal (cascading to child client streams), ends receiving, unregisters. */
  private end(reason: Error, abortSends = true): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.buffer.end(reason);
    // After a normal return, queued responses still go out before the TRAILER: let them resolve.
    if (abortSends) this.sendLimiter?.abort(reason);
    if (this.endReason === undefined) {
      this.endReason = reason;
      this.abortController?.abort(reason);
      const children = this.children;
      this.children = undefined;
      if (children !== undefined) for (const child of children) child.cascadeCancel(reason);
    }
    if (!this.released) {
      this.released = true;
      this.link.release(this as unknown as ServerStream<never, never>);
    }
  }

  private writeHeader(): Promise<void> {
    this.headerSent = true;
    return this.writeFrame(FrameType.Header, undefined, new Map(this.responseHeaders));
  }

  private writeFrame(
    type: FrameType,
    payload?: Uint8Array,
    strHeaders?: ReadonlyMap<string, string>,
  ): Promise<void> {
    return this.link.write(outFrame(type, this.streamId, this.method, payload, strHeaders));
  }

  private closedError(): Error {
    const reason = this.endReason;
    if (isTTStreamError(reason)) return reason;
    return this.illegal('stream is closed');
  }

  private illegal(detail: string): TTStreamError {
    return new TTStreamError(TTStreamErrorCode.IllegalOperation, { side: 'server', detail });
  }
}

/** `for await` over a server stream: one small object per loop, no closure. */
class RecvIterator<Req> implements AsyncIterator<Req, undefined> {
  constructor(private readonly stream: ServerStream<Req, unknown>) {}

  next(): Promise<IteratorResult<Req, undefined>> {
    return this.stream.recv();
  }
}
