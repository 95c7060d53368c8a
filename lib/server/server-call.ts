import { type TTStreamError } from '../errors/index.js';
import { type StreamMode } from '../nest-constants.js';

/**
 * One inbound stream as the Nest layer sees it: what `TTStreamServer` needs from the transport's
 * server stream. Reading it (`for await`) yields decoded requests until the client half-closes;
 * `send` resolves once the message was written (the backpressure point).
 * @internal not covered by semver
 */
export interface ServerCall extends AsyncIterable<unknown> {
  /** The stream id. */
  readonly streamId: number;
  /** The IDL service name. */
  readonly service: string;
  /** The IDL method name. */
  readonly method: string;
  /** The method's mode, from the IDL. */
  readonly mode: StreamMode;
  /** The client's HEADER string keys (metainfo included). */
  readonly headers: Readonly<Record<string, string>>;
  /** The timeout the client sent (int key 12), in ms, if any; the transport enforces it. */
  readonly timeoutMs: number | undefined;
  /** `host:port` of the peer, when known. */
  readonly remoteAddress: string | undefined;
  /** DATA frames sent so far (taken by the writer; a refused one does not count). */
  readonly sentMessages: number;
  /** Requests received so far (DATA frames, or a unary call's one request). */
  readonly receivedMessages: number;
  /** Payload bytes of the messages sent and received, when the transport counts them. */
  readonly sentBytes: number | undefined;
  readonly receivedBytes: number | undefined;
  /**
   * A unary call's reply is built after the handler ends: telemetry ends the call through this,
   * once the reply's size is known. Absent for streams (their counts are final at the end).
   */
  afterReply?(listener: () => void): void;
  /** Aborted when the stream ends early: client cancel (RST), connection loss, shutdown. */
  readonly signal: AbortSignal;
  /** Adds keys to the response HEADER; fails once it was sent. */
  setHeader(headers: Readonly<Record<string, string>>): void;
  /** Sends the response HEADER now (with `headers` added). */
  sendHeader(headers?: Readonly<Record<string, string>>): Promise<void>;
  /** Adds keys to the final TRAILER. */
  setTrailer(trailers: Readonly<Record<string, string>>): void;
  /** Writes one response; resolves when written, rejects when the stream is gone. */
  send(message: unknown): Promise<void>;
  /**
   * `send` without a promise (a stream's messages, written by the server): true when the socket
   * took the message at once; otherwise `onWritten` is called once, when it was written or
   * failed. Throws what `send` would reject with at once. Absent for unary calls.
   */
  sendThen?(message: unknown, onWritten: (error?: Error) => void): boolean;
  /**
   * A request already received (or `{ done: true }` after the half-close) without waiting;
   * undefined when a read must wait or fails. Throws a decode error. With {@link recvThen}, the
   * request stream is read without a promise per message; absent, it is read with `for await`.
   */
  tryRecv?(): IteratorResult<unknown, undefined> | undefined;
  /**
   * The next request (or the end) through `onResult`, or the stream's failure through
   * `onError`; never called back synchronously, and from the transport's async context.
   */
  recvThen?(
    onResult: (result: IteratorResult<unknown, undefined>) => void,
    onError: (error: Error) => void,
  ): void;
  /** Resets the stream (RST with `error`'s code and text) and aborts `signal`. */
  reset(error: TTStreamError): void;
}

/**
 * What the Nest layer hands the transport for each method: called once per stream; resolving
 * ends the stream with a success TRAILER, rejecting ends it with that error (a `BizStatusError`,
 * an `ApplicationException` or another `TTStreamError`).
 * @internal not covered by semver
 */
export type ServerCallHandler = (call: ServerCall) => Promise<void>;
