import { TTStreamError, TTStreamErrorCode, isTTStreamError } from '../errors/index.js';
import type { Frame, FrameInit } from '../protocol/frame.js';
import { FrameType } from '../protocol/frame-type.js';
import { IntHeaderKey } from '../protocol/int-header-key.js';
import type { MessageCodec } from '../thrift/message-codec.js';
import { streamTimeoutError } from './cancel-errors.js';
import { exceptionPayload, trailerFromError } from './error-to-trailer.js';
import { headersToMetainfo, type Metainfo } from '../protocol/metainfo.js';
import { RecvBuffer, type RecvBufferLimits } from './recv-buffer.js';
import { SendLimiter, type SendBufferLimits } from './send-limiter.js';
import { SERVER_TRANSITIONS, StreamStateMachine, type ServerStreamEvent } from './stream-state.js';
import type { CascadeChild, CascadeParent } from './stream-scope.js';
import { describeValue, toError } from './to-error.js';
import { errorFromRst, errorFromTrailer } from './trailer-to-error.js';

/** The IDL `streaming.mode` of a method. */
export type StreamMode = 'bidirectional' | 'client' | 'server';

/** What the server knows about the method a stream was routed to. @internal not covered by semver */
export interface ServerStreamRoute<Req, Res> {
  readonly service: string;
  readonly method: string;
  readonly mode: StreamMode;
  readonly requestCodec: MessageCodec<Req>;
  readonly responseCodec: MessageCodec<Res>;
}

/** The connection side of a server stream. @internal not covered by semver */
export interface ServerStreamLink {
  write(frame: FrameInit): Promise<void>;
  adjustBuffered(delta: number): void;
  readonly isClosed: boolean;
  release(stream: ServerStream<never, never>): void;
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
 * `sendHeader()`, or at the end). How the handler ends decides the TRAILER (DESIGN.md policy 1).
 *
 * `signal` aborts with a `TTStreamError`: 12010 when the client sends RST (code, message and
 * path of the peer), 12013 when the connection closes, 12015 at the client's deadline (int key
 * 12), and 12012 once the handler has returned.
 */
export class ServerStream<Req, Res> implements AsyncIterable<Req>, CascadeParent {
  readonly streamId: number;
  readonly service: string;
  readonly method: string;
  readonly mode: StreamMode;
  /** The client's string headers (including `isn` and metainfo keys). */
  readonly headers: ReadonlyMap<string, string>;
  /** Metainfo sent by the client. */
  readonly metainfo: Metainfo;
  /** The client's timeout (int key 12) in ms, if it sent one. */
  readonly remoteTimeoutMs: number | undefined;
  private readonly state = new StreamStateMachine<ServerStreamEvent>(SERVER_TRANSITIONS);
  private readonly buffer: RecvBuffer;
  private readonly sends: SendLimiter;
  private readonly abort = new AbortController();
  private readonly responseHeaders = new Map<string, string>();
  private readonly responseTrailers = new Map<string, string>();
  private readonly children = new Set<CascadeChild>();
  private headerSent = false;
  /** True once nothing more may be written for this stream (trailer/RST sent or received). */
  private silent = false;
  private sentMessages = 0;
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
    this.service = route.service;
    this.method = header.method;
    this.mode = route.mode;
    this.headers = header.strHeaders;
    this.metainfo = headersToMetainfo(header.strHeaders);
    const timeout = Number(header.intHeaders.get(IntHeaderKey.RPCTimeout) ?? '');
    this.remoteTimeoutMs = Number.isInteger(timeout) && timeout > 0 ? timeout : undefined;
    this.buffer = new RecvBuffer(settings.recvBuffer, (delta) => {
      link.adjustBuffered(delta);
    });
    this.sends = new SendLimiter(settings.sendBuffer);
  }

  /** Aborted with a `TTStreamError` when the stream is cancelled or the handler has returned. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Adds a HEADER key; throws 12005 once the HEADER has been sent. */
  setHeader(key: string, value: string): void {
    if (this.headerSent) throw this.illegal('header already sent');
    this.responseHeaders.set(key, value);
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
    this.responseTrailers.set(key, value);
  }

  /** Sends one response; resolves when the socket accepted it below its high-water mark. */
  send(message: Res): Promise<void> {
    if (this.silent || !this.state.can('send')) return Promise.reject(this.closedError());
    if (this.mode === 'client' && this.sentMessages >= 1) {
      return Promise.reject(this.illegal('a client-streaming method sends one response'));
    }
    let payload: Uint8Array;
    try {
      payload = this.route.responseCodec.encode(message);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    const refusal = this.sends.refuse(payload.length);
    if (refusal !== undefined) return Promise.reject(refusal);
    this.sentMessages++;
    if (!this.headerSent) this.writeHeader().catch(noop);
    return this.sends.track(payload.length, this.writeFrame({ type: FrameType.Data, payload }));
  }

  /** The next request, `{ done: true }` after the client's half-close, or the cancel error. */
  async recv(): Promise<IteratorResult<Req, undefined>> {
    const payload = await this.buffer.next();
    if (payload === undefined) return { done: true, value: undefined };
    return { done: false, value: this.route.requestCodec.decode(payload) };
  }

  [Symbol.asyncIterator](): AsyncIterator<Req, undefined> {
    return { next: () => this.recv() };
  }

  /** @internal */
  addChild(child: CascadeChild): void {
    this.children.add(child);
  }

  /** @internal */
  removeChild(child: CascadeChild): void {
    this.children.delete(child);
  }

  /** @internal Arms the deadline the client sent. */
  start(): void {
    const timeoutMs = this.remoteTimeoutMs;
    if (timeoutMs === undefined) return;
    this.deadlineTimer = setTimeout(() => {
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
    if (sendRst && !this.silent && !this.link.isClosed) {
      this.writeFrame({
        type: FrameType.Rst,
        payload: exceptionPayload(this, error.code, error.detail),
      }).catch(noop);
    }
    this.silent = true;
    this.end(error);
  }

  /** @internal The handler settled: send HEADER (if unsent) and the TRAILER for `error`. */
  finish(error: unknown): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const returned = new TTStreamError(TTStreamErrorCode.CanceledByHandlerReturn, {
      side: 'server',
    });
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
    this.writeFrame({ type: FrameType.Trailer, strHeaders, payload: content.payload }).catch(noop);
    this.silent = true;
  }

  /** Aborts the signal (cascading to child client streams), ends receiving, unregisters. */
  private end(reason: Error, abortSends = true): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.buffer.end(reason);
    // After a normal return, queued responses still go out before the TRAILER: let them resolve.
    if (abortSends) this.sends.abort(reason);
    if (!this.abort.signal.aborted) {
      this.abort.abort(reason);
      for (const child of [...this.children]) child.cascadeCancel(reason);
      this.children.clear();
    }
    if (!this.released) {
      this.released = true;
      this.link.release(this as unknown as ServerStream<never, never>);
    }
  }

  private writeHeader(): Promise<void> {
    this.headerSent = true;
    return this.writeFrame({ type: FrameType.Header, strHeaders: new Map(this.responseHeaders) });
  }

  private writeFrame(init: Omit<FrameInit, 'streamId' | 'method'>): Promise<void> {
    return this.link.write({ ...init, streamId: this.streamId, method: this.method });
  }

  private closedError(): Error {
    const reason: unknown = this.abort.signal.reason;
    if (isTTStreamError(reason)) return reason;
    return this.illegal('stream is closed');
  }

  private illegal(detail: string): TTStreamError {
    return new TTStreamError(TTStreamErrorCode.IllegalOperation, { side: 'server', detail });
  }
}
