import { TTStreamError, TTStreamErrorCode, isTTStreamError } from '../errors/index.js';
import type { Frame, FrameInit } from '../protocol/frame.js';
import { FrameType } from '../protocol/frame-type.js';
import { HEADER_CANCEL_PATH, HEADER_IDL_SERVICE_NAME } from '../protocol/header-keys.js';
import { IntHeaderKey } from '../protocol/int-header-key.js';
import {
  appendCancelPath,
  cancelError,
  recvTimeoutError,
  streamTimeoutError,
} from './cancel-errors.js';
import { subscribeAbort, unsubscribeAbort, type AbortSubscriber } from './abort-fanout.js';
import { Deferred } from './deferred.js';
import { outFrame } from './out-frame.js';
import { exceptionPayload } from './error-to-trailer.js';
import { metainfoToHeaders } from '../protocol/metainfo.js';
import { RecvBuffer, type RecvBufferLimits } from './recv-buffer.js';
import { SendLimiter, type SendBufferLimits } from './send-limiter.js';
import {
  CLIENT_TRANSITIONS,
  StreamState,
  StreamStateMachine,
  type ClientStreamEvent,
} from './stream-state.js';
import type { CascadeChild, CascadeParent } from './stream-scope.js';
import { describeValue, toError } from './to-error.js';
import { errorFromRst, errorFromTrailer } from './trailer-to-error.js';
import { setLongTimeout } from './long-timeout.js';
import type { OpenStreamOptions, StreamCall } from './stream-call.js';

export type { OpenStreamOptions, StreamCall } from './stream-call.js';

/** The connection side of a client stream. @internal not covered by semver */
export interface ClientStreamLink {
  write(frame: FrameInit): Promise<void>;
  /** Safe to call detached (streams pass it around as is). */
  readonly adjustBuffered: (delta: number) => void;
  readonly isClosed: boolean;
  /** The stream has ended; the link forgets it. */
  release(stream: ClientStream<never, never>): void;
}

/** Transport-wide settings a client stream needs. @internal not covered by semver */
export interface ClientStreamSettings {
  readonly serviceName: string;
  readonly recvBuffer?: RecvBufferLimits;
  readonly sendBuffer?: SendBufferLimits;
}

const noop = (): void => undefined;

/**
 * One client-side TTHeader stream. Returned by `openStream` at once: the HEADER is queued before
 * the connection is even up, and DATA may follow without waiting for the server's HEADER.
 *
 * Receive with `for await (const msg of stream)` or `recv()`; messages received before the end are
 * always delivered before EOF or the terminal error. The terminal error is stored: every later
 * `send`/`recv` fails with it.
 */
export class ClientStream<Req, Res> implements AsyncIterable<Res>, CascadeChild, AbortSubscriber {
  /** The stream id (the frames' sequence id). */
  readonly streamId: number;
  readonly service: string;
  readonly method: string;
  private readonly state = new StreamStateMachine<ClientStreamEvent>(CLIENT_TRANSITIONS);
  private readonly buffer: RecvBuffer;
  private readonly sends: SendLimiter;
  private readonly abort = new AbortController();
  private readonly headerD = new Deferred<ReadonlyMap<string, string>>();
  private readonly trailerD = new Deferred<ReadonlyMap<string, string>>();
  private readonly doneD = new Deferred<void>();
  private terminalError: Error | undefined = undefined;
  private sentPayloadBytes = 0;
  private receivedPayloadBytes = 0;
  private sentMessages = 0;
  private receivedMessages = 0;
  private streamTimer: NodeJS.Timeout | undefined;
  private parent: CascadeParent | undefined;
  /** {@link recv}'s decoder, made on the first read. */
  private toResult:
    ((payload: Uint8Array | undefined) => IteratorResult<Res, undefined>) | undefined;

  /** @internal created by `TTStreamClientTransport.openStream` */
  constructor(
    streamId: number,
    private readonly call: StreamCall<Req, Res>,
    private readonly options: OpenStreamOptions,
    private readonly settings: ClientStreamSettings,
    private readonly link: ClientStreamLink,
  ) {
    this.streamId = streamId;
    this.service = call.service;
    this.method = call.method;
    this.buffer = new RecvBuffer(settings.recvBuffer, link.adjustBuffered);
    this.sends = new SendLimiter(settings.sendBuffer);
  }

  /** Bytes waiting in the receive buffer (payloads plus a fixed per-message overhead). */
  get bufferedBytes(): number {
    return this.buffer.bytes;
  }

  /** Aborted with the terminal error when the stream fails; never aborted on success. */
  /** Payload bytes of the DATA frames handed to the connection so far. */
  get sentBytes(): number {
    return this.sentPayloadBytes;
  }

  /** Payload bytes of the DATA frames received so far. */
  get receivedBytes(): number {
    return this.receivedPayloadBytes;
  }

  /** DATA frames handed to the connection, and received, so far. */
  get sentCount(): number {
    return this.sentMessages;
  }
  get receivedCount(): number {
    return this.receivedMessages;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Settles when the stream ends: resolves on success, rejects with the terminal error. */
  get done(): Promise<void> {
    return this.doneD.promise;
  }

  /** True once the stream has ended (successfully or not). */
  get isEnded(): boolean {
    return this.state.isInactive;
  }

  /** The server's HEADER keys; an empty map if the stream ended successfully without one. */
  header(): Promise<ReadonlyMap<string, string>> {
    return this.headerD.promise;
  }

  /** The server's TRAILER keys (also when the trailer carries an error). */
  trailer(): Promise<ReadonlyMap<string, string>> {
    return this.trailerD.promise;
  }

  /** @internal Sends the opening HEADER and arms the timers. */
  open(parent: CascadeParent | undefined): void {
    const { options } = this;
    const headers = new Map<string, string>(Object.entries(options.headers ?? {}));
    for (const [k, v] of metainfoToHeaders(options.metainfo ?? {})) headers.set(k, v);
    headers.set(HEADER_IDL_SERVICE_NAME, this.service);
    const intHeaders = new Map<number, string>();
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      intHeaders.set(IntHeaderKey.RPCTimeout, String(Math.ceil(options.timeoutMs)));
    }
    this.writeFrame(FrameType.Header, undefined, headers, intHeaders).catch((error: unknown) => {
      // An unencodable HEADER (too large) opened nothing: fail the stream, write nothing more.
      this.terminate('cancel', toError(error), undefined, false);
    });
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      const timeoutMs = options.timeoutMs;
      this.streamTimer = setLongTimeout(() => {
        this.terminate('timeout', streamTimeoutError('client', timeoutMs), this.ownPath());
      }, timeoutMs);
    }
    if (options.signal !== undefined) {
      if (options.signal.aborted) {
        this.onSignalAbort();
        return;
      }
      subscribeAbort(options.signal, this);
    }
    if (parent !== undefined) {
      if (parent.signal.aborted) {
        this.cascadeCancel(parent.signal.reason);
        return;
      }
      this.parent = parent;
      parent.addChild(this);
    }
  }

  /**
   * Sends one message. Resolves when the frame is handed to the socket below its high-water mark.
   * Rejects with the terminal error after the end, 12005 after `closeSend`, 12005 when more than
   * the send buffer's limit is pending (await earlier sends), or the codec/encoder error (the
   * stream goes on; nothing was written).
   */
  send(message: Req): Promise<void> {
    if (!this.state.can('send')) return Promise.reject(this.closedSendError());
    let payload: Uint8Array;
    try {
      payload = this.call.requestCodec.encode(message);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    const refusal = this.sends.refuse(payload.length);
    if (refusal !== undefined) return Promise.reject(refusal);
    this.sentPayloadBytes += payload.length;
    this.sentMessages++;
    return this.sends.track(payload.length, this.writeFrame(FrameType.Data, payload));
  }

  /** Half-closes (an empty TRAILER). A no-op once half-closed or ended. */
  closeSend(): Promise<void> {
    if (this.state.apply('closeSend') !== StreamState.Active) return Promise.resolve();
    return this.writeFrame(FrameType.Trailer);
  }

  /** The next message, or `{ done: true }` at the end; rejects with the terminal error. */
  recv(): Promise<IteratorResult<Res, undefined>> {
    const { recvTimeoutMs } = this.options;
    const toResult = (this.toResult ??= (payload) => this.decodeResult(payload));
    if (recvTimeoutMs === undefined || recvTimeoutMs <= 0) {
      // Not async, decoding on delivery: no async-function state and no second promise per
      // read (the async version cost ~5.5% of the bench client's CPU).
      return this.buffer.nextMapped(toResult);
    }
    return this.buffer.next(recvTimeoutMs, () => this.onRecvTimeout()).then(toResult);
  }

  /**
   * The next message if one was already received (or `{ done: true }` after a clean end), without
   * waiting; undefined when {@link recv} would have to wait or reject. Throws a decode error.
   */
  tryRecv(): IteratorResult<Res, undefined> | undefined {
    const toResult = (this.toResult ??= (payload) => this.decodeResult(payload));
    return this.buffer.takeMapped(toResult);
  }

  /**
   * {@link recv} with callbacks instead of a promise, never called back synchronously (see
   * `RecvBuffer.readThen`): a reader that waits for each message costs no promise.
   */
  recvThen(
    onResult: (result: IteratorResult<Res, undefined>) => void,
    onError: (error: Error) => void,
  ): void {
    const { recvTimeoutMs } = this.options;
    if (recvTimeoutMs !== undefined && recvTimeoutMs > 0) {
      this.recv().then(onResult, onError);
      return;
    }
    const toResult = (this.toResult ??= (payload) => this.decodeResult(payload));
    this.buffer.readThen(toResult, onResult, onError);
  }

  /** Decodes a received payload (`undefined`: EOF); a decode error cancels the stream. */
  private decodeResult(payload: Uint8Array | undefined): IteratorResult<Res, undefined> {
    if (payload === undefined) return { done: true, value: undefined };
    try {
      return { done: false, value: this.call.responseCodec.decode(payload) };
    } catch (thrown) {
      const error = toError(thrown);
      this.terminate('cancel', error, this.ownPath());
      throw error;
    }
  }

  /** Iterates received messages; leaving the loop early cancels a stream that has not ended. */
  [Symbol.asyncIterator](): AsyncIterator<Res, undefined> {
    return {
      next: () => this.recv(),
      return: () => {
        if (!this.state.isInactive) this.cancel();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /**
   * Cancels: fails the stream locally with 12007 (12008 with a `reason`), sends an RST carrying
   * that code and `ttscp` = own service name, then an empty TRAILER if not half-closed.
   */
  cancel(reason?: unknown): void {
    if (this.state.isInactive) return;
    this.terminate('cancel', cancelError(reason, this.options.timeoutMs), this.ownPath());
  }

  /** @internal The caller's `signal` aborted. */
  onSignalAbort(): void {
    this.cancel(this.options.signal?.reason);
  }

  /** @internal The parent server stream was cancelled or its handler returned. */
  cascadeCancel(reason: unknown): void {
    if (this.state.isInactive) return;
    if (isTTStreamError(reason)) {
      const path = appendCancelPath(
        reason.kind === TTStreamErrorCode.CanceledByHandlerReturn ? undefined : reason.canceledPath,
        this.settings.serviceName,
      );
      const local = new TTStreamError(reason.kind, {
        code: reason.code,
        side: 'client',
        detail: reason.detail,
        canceledPath: reason.canceledPath,
        cause: reason,
      });
      this.terminate('cancel', local, path);
      return;
    }
    const local = new TTStreamError(TTStreamErrorCode.InternalCancel, {
      side: 'client',
      detail: describeValue(reason),
      cause: reason,
    });
    this.terminate(
      'cancel',
      local,
      appendCancelPath(['non-ttstream path'], this.settings.serviceName),
    );
  }

  /** @internal A frame for this stream id. */
  onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.Header:
        if (this.headerD.isSettled) {
          const error = new TTStreamError(TTStreamErrorCode.UnexpectedHeader, {
            side: 'client',
            remote: true,
            detail: 'unexpected header frame: a second HEADER on the stream',
          });
          this.terminate('cancel', error, this.ownPath());
        } else {
          this.headerD.resolve(frame.strHeaders);
        }
        return;
      case FrameType.Data:
        this.receivedPayloadBytes += frame.payload.length;
        this.receivedMessages++;
        if (!this.buffer.push(frame.payload)) {
          const error = new TTStreamError(TTStreamErrorCode.InternalCancel, {
            side: 'client',
            detail: 'recv buffer overflow: the consumer is not keeping up',
          });
          this.terminate('cancel', error, this.ownPath());
        }
        return;
      case FrameType.Trailer:
        this.trailerD.resolve(frame.strHeaders);
        this.terminate('recvTrailer', errorFromTrailer(frame, 'client'), undefined);
        return;
      case FrameType.Rst:
        this.terminate('recvRst', errorFromRst(frame, 'client'), undefined);
        return;
      default:
        return; // META: ignored, as a Kitex client without a MetaFrameHandler does.
    }
  }

  /** @internal The connection died; nothing can be written any more. */
  failFromConnection(error: unknown): void {
    this.terminate('connectionClosed', toError(error), undefined, false);
  }

  private onRecvTimeout(): Error {
    const timeoutMs = this.options.recvTimeoutMs ?? 0;
    const disable = this.options.disableCancelRemote === true;
    const error = recvTimeoutError(timeoutMs, disable);
    if (!disable) this.terminate('timeout', error, this.ownPath());
    return error;
  }

  private ownPath(): string[] {
    return appendCancelPath(undefined, this.settings.serviceName);
  }

  private closedSendError(): Error {
    if (this.terminalError !== undefined) return this.terminalError;
    return new TTStreamError(TTStreamErrorCode.IllegalOperation, {
      side: 'client',
      detail: this.state.isInactive ? 'stream is closed' : 'stream is closed send',
    });
  }

  private writeFrame(
    type: FrameType,
    payload?: Uint8Array,
    strHeaders?: ReadonlyMap<string, string>,
    intHeaders?: ReadonlyMap<number, string>,
  ): Promise<void> {
    return this.link.write(
      outFrame(type, this.streamId, this.method, payload, strHeaders, intHeaders),
    );
  }

  /**
   * Ends the stream once. `rstPath` defined: send an RST (code and message of `error`, `ttscp`
   * when the path is non-empty). Then an empty TRAILER unless half-closed, as Kitex does.
   */
  private terminate(
    event: ClientStreamEvent,
    error: Error | undefined,
    rstPath: readonly string[] | undefined,
    canWrite = true,
  ): void {
    const previous = this.state.apply(event);
    if (previous === undefined) return;
    this.terminalError = error;
    clearTimeout(this.streamTimer);
    this.streamTimer = undefined;
    if (this.options.signal !== undefined) unsubscribeAbort(this.options.signal, this);
    this.parent?.removeChild(this);
    this.parent = undefined;
    this.buffer.end(error);
    if (error !== undefined) {
      this.sends.abort(error);
    } else if (this.sends.pending > 0) {
      // Only when a send still waits: an Error (stack capture) per successful stream end was
      // ~2% of a client's CPU. Later sends are refused by the state machine anyway.
      this.sends.abort(
        new TTStreamError(TTStreamErrorCode.IllegalOperation, {
          side: 'client',
          detail: 'stream is closed',
        }),
      );
    }
    if (error === undefined) {
      this.headerD.resolve(new Map());
      this.trailerD.resolve(new Map());
      this.doneD.resolve();
    } else {
      this.headerD.reject(error);
      this.trailerD.reject(error);
      this.doneD.reject(error);
      this.abort.abort(error);
    }
    if (canWrite && !this.link.isClosed) {
      if (rstPath !== undefined) {
        const code = isTTStreamError(error) ? error.code : TTStreamErrorCode.InternalCancel;
        const message = isTTStreamError(error) ? error.detail : describeValue(error);
        const strHeaders = new Map<string, string>();
        if (rstPath.length > 0) strHeaders.set(HEADER_CANCEL_PATH, rstPath.join(','));
        this.writeFrame(FrameType.Rst, exceptionPayload(this, code, message), strHeaders).catch(
          noop,
        );
      }
      if (previous !== StreamState.HalfCloseLocal) {
        this.writeFrame(FrameType.Trailer).catch(noop);
      }
    }
    this.link.release(this as unknown as ClientStream<never, never>);
  }
}
