import type { PingPongShape } from '../protocol/pingpong-shape.js';
import type { MessageCodec } from '../thrift/message-codec.js';

/**
 * One unary or oneway call as the transport hands it to a handler: the decoded `<Method>_args`
 * struct and what the request carried.
 */
export interface UnaryCall {
  /** The Thrift message's seqid. */
  readonly seqId: number;
  readonly service: string;
  readonly method: string;
  /** True for a oneway method: nothing is sent back, whatever the handler does. */
  readonly oneway: boolean;
  /** The decoded args struct, keyed by parameter name. */
  readonly args: Record<string, unknown>;
  /** The request's string keys (TTHeader only; metainfo included); empty for Framed and Buffered. */
  readonly headers: ReadonlyMap<string, string>;
  /** The client's timeout (int key 12), in ms, if it sent one; the transport enforces it. */
  readonly timeoutMs: number | undefined;
  /** Aborted at the client's deadline, when the connection closes, or at the end of shutdown. */
  readonly signal: AbortSignal;
  /** `host:port` of the peer, when known. */
  readonly remoteAddress: string | undefined;
  /** How the request was framed; the reply goes back the same way. */
  readonly shape: PingPongShape;
  /**
   * Bytes of the request's Thrift message as read (envelope and `<Method>_args` struct, without
   * the TTHeader or Framed framing).
   */
  readonly requestBytes: number;
  /**
   * Bytes of the reply's Thrift message (REPLY or EXCEPTION, measured as {@link requestBytes}),
   * once it is built after the handler's end (or at the deadline); 0 for a oneway call, which
   * has none. Undefined before.
   */
  readonly replyBytes: number | undefined;
  /**
   * Calls `listener` once the reply is built ({@link replyBytes} set), or at once if it is
   * already: telemetry ends the call there, to report the reply's size.
   */
  afterReply(listener: () => void): void;
  /**
   * Adds a string key to the reply. Only TTHeader replies carry keys; for Framed and Buffered
   * requests the key is dropped (those shapes have no header).
   */
  setReplyHeader(key: string, value: string): void;
}

/**
 * A unary handler: resolves with the method's return value (undefined for void and oneway), or
 * rejects with what the call failed with (a declared exception, a business error, anything else).
 */
export type UnaryHandler = (call: UnaryCall) => Promise<unknown>;

/** A declared exception matched to its field of the `<Method>_result` struct. */
export interface DeclaredExceptionField {
  readonly name: string;
  readonly value: object;
}

/** One registered unary or oneway method. */
export interface UnaryRoute {
  readonly oneway: boolean;
  /** True when the method returns void: a successful REPLY carries an empty result struct. */
  readonly returnsVoid: boolean;
  readonly argsCodec: MessageCodec<Record<string, unknown>>;
  readonly resultCodec: MessageCodec<Record<string, unknown>>;
  /** The result field a failure belongs in when it is one of the method's `throws`. */
  readonly declaredException: (error: unknown) => DeclaredExceptionField | undefined;
  readonly handler: UnaryHandler;
}
