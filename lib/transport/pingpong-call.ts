import { RpcCallError, RpcCallErrorKind } from '../errors/rpc-call-error.js';
import { isTTStreamError } from '../errors/ttstream-error.js';
import { TTStreamErrorCode } from '../errors/error-code.js';
import { HEADER_IDL_SERVICE_NAME } from '../protocol/header-keys.js';
import { IntHeaderKey } from '../protocol/int-header-key.js';
import { metainfoToHeaders, type Metainfo } from '../protocol/metainfo.js';
import type { PingPongMessage } from '../protocol/pingpong-message.js';
import { encodePingPong } from '../protocol/pingpong-encoder.js';
import { carriesHeaders, type PingPongShape } from '../protocol/pingpong-shape.js';
import { encodeThriftMessage, ThriftMessageType } from '../thrift/message-envelope.js';
import type { UnaryMethodDescriptor } from '../thrift/thrift-idl.js';
import { subscribeAbort, unsubscribeAbort, type AbortSubscriber } from './abort-fanout.js';
import { goDuration } from './cancel-errors.js';
import { debug } from './debug.js';
import { Deferred } from './deferred.js';
import { setLongTimeout } from './long-timeout.js';
import type { PingPongClientConnection } from './pingpong-client-connection.js';
import type { PingPongClientPool, PoolWaiter } from './pingpong-client-pool.js';
import { replyOutcome, type ExceptionClasses } from './pingpong-client-reply.js';
import type { CascadeChild, CascadeParent } from './stream-scope.js';
import { describeValue, toError } from './to-error.js';

/** Per-call options of `PingPongClientTransport.call`. */
export interface PingPongCallOptions {
  /** Extra TTHeader string keys. Default none. Framed and Buffered carry no headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Metainfo, sent as `RPC_TRANSIT_<k>` / `RPC_PERSIST_<k>` (TTHeader only). */
  readonly metainfo?: Partial<Metainfo>;
  /**
   * Whole-call timeout in ms, from the call until the reply (waiting for a connection
   * included): the call fails with `rpc timeout` and its connection is closed. Sent in int key
   * 12 (TTHeader). Default none.
   */
  readonly timeoutMs?: number;
  /** Aborting it fails the call (`canceled by business`; `rpc timeout` for a `TimeoutError`). */
  readonly signal?: AbortSignal;
  /**
   * The server stream or call this call is made for: its end cancels this call. Default: the
   * one whose handler is running (AsyncLocalStorage); `null` disables it.
   */
  readonly parent?: CascadeParent | null;
  /** Called with the reply's TTHeader string keys (empty for Framed and Buffered). */
  readonly onHeader?: (headers: ReadonlyMap<string, string>) => void;
}

/** What the transport gives each call. @internal not covered by semver */
export interface PingPongCallSettings {
  readonly pool: PingPongClientPool;
  readonly shape: PingPongShape;
  /** Own service name (int key 3). */
  readonly fromService: string;
  /** The server's service name (int key 6); default the IDL service name. */
  readonly destService: string | undefined;
  readonly exceptionClasses: ExceptionClasses | undefined;
  /** The server address, for error texts. */
  readonly peer: string;
}

const CallState = { New: 0, Waiting: 1, InFlight: 2, Done: 3 } as const;
type CallState = (typeof CallState)[keyof typeof CallState];

/**
 * One unary or oneway call: waits for a pooled connection, writes the CALL (or ONEWAY) message,
 * reads the reply. Settles once: with the reply's value, its error, a timeout, a cancel, or the
 * connection's failure. A call that ends before its reply closes its connection, since the
 * reply may still arrive there.
 * @internal created by `PingPongClientTransport`; not covered by semver
 */
export class PingPongCall<Res = unknown> implements PoolWaiter, CascadeChild, AbortSubscriber {
  private readonly outcome = new Deferred<Res>();
  private state: CallState = CallState.New;
  private connection: PingPongClientConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private parent: CascadeParent | undefined;
  private body: Uint8Array | undefined;
  /** The encoded request's Thrift message size; counted as sent once a connection takes it. */
  private messageBytes = 0;
  private sentMessageBytes = 0;
  private receivedMessageBytes = 0;

  constructor(
    /** The IDL service name the call addresses (`isn`). */
    readonly service: string,
    readonly method: UnaryMethodDescriptor,
    private readonly args: Record<string, unknown>,
    private readonly options: PingPongCallOptions,
    private readonly settings: PingPongCallSettings,
  ) {}

  /** Resolves with the method's return value (undefined for void and oneway), or rejects. */
  get result(): Promise<Res> {
    return this.outcome.promise;
  }

  /**
   * Bytes of the request's Thrift message (envelope and args struct, without the TTHeader or
   * Framed framing) once handed to a connection; 0 before.
   */
  get sentBytes(): number {
    return this.sentMessageBytes;
  }

  /** Bytes of the reply's Thrift message (REPLY or EXCEPTION), measured likewise; 0 without one. */
  get receivedBytes(): number {
    return this.receivedMessageBytes;
  }

  /** True once settled. */
  get isDone(): boolean {
    return this.state === CallState.Done;
  }

  /** @internal Encodes the arguments, arms the timers, asks the pool for a connection. */
  start(parent: CascadeParent | undefined): void {
    try {
      this.body = this.method.argsCodec.encode(this.args);
    } catch (error) {
      this.finish(toError(error));
      return;
    }
    const { timeoutMs, signal } = this.options;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.timer = setLongTimeout(() => {
        this.timer = undefined;
        this.finish(this.error(RpcCallErrorKind.RPCTimeout, ''));
      }, timeoutMs);
    }
    if (signal !== undefined) {
      if (signal.aborted) {
        this.onSignalAbort();
        return;
      }
      subscribeAbort(signal, this);
    }
    if (parent !== undefined) {
      if (parent.signal.aborted) {
        this.cascadeCancel(parent.signal.reason);
        return;
      }
      this.parent = parent;
      parent.addChild(this);
    }
    this.state = CallState.Waiting;
    this.settings.pool.acquire(this);
  }

  /** Cancels locally (`canceled by business`); a connection awaiting the reply is closed. */
  cancel(reason?: unknown): void {
    if (this.state === CallState.Done) return;
    this.finish(this.cancelError(reason));
  }

  /** @internal The caller's `signal` aborted. */
  onSignalAbort(): void {
    this.cancel(this.options.signal?.reason);
  }

  /** @internal The parent stream was cancelled, timed out, or its handler returned. */
  cascadeCancel(reason: unknown): void {
    if (this.state === CallState.Done) return;
    // The handler's deadline passed, or its client timed out first and reset the stream (12010
    // carrying code 12015): either way the time the caller had is over.
    if (
      isTTStreamError(reason) &&
      (reason.category === 'timeout' || reason.code === TTStreamErrorCode.StreamTimeout)
    ) {
      this.finish(this.error(RpcCallErrorKind.RPCTimeout, ', timeout by business', reason));
      return;
    }
    this.finish(
      this.error(RpcCallErrorKind.CanceledByBusiness, `: ${describeValue(reason)}`, reason),
    );
  }

  /** @internal The pool's connection for this call. */
  grant(connection: PingPongClientConnection): void {
    if (this.state !== CallState.Waiting) {
      this.settings.pool.release(connection, true);
      return;
    }
    const seqId = connection.nextSeqId();
    let bytes: Uint8Array;
    try {
      bytes = this.encode(seqId);
    } catch (error) {
      this.settings.pool.release(connection, true);
      this.finish(toError(error));
      return;
    }
    this.state = CallState.InFlight;
    this.connection = connection;
    this.sentMessageBytes = this.messageBytes;
    connection.exchange(bytes, !this.method.oneway).then(
      (reply) => {
        this.onReply(connection, seqId, reply);
      },
      (error: unknown) => {
        if (this.connection !== connection) return;
        this.connection = undefined;
        this.settings.pool.release(connection, false);
        this.finish(toError(error));
      },
    );
  }

  /** @internal The pool has no connection for this call. */
  refuse(error: RpcCallError): void {
    if (this.state === CallState.Waiting) this.finish(error);
  }

  private onReply(
    connection: PingPongClientConnection,
    seqId: number,
    reply: PingPongMessage | undefined,
  ): void {
    if (this.connection !== connection) return; // ended before: the connection is closed
    this.connection = undefined;
    const { pool } = this.settings;
    if (reply === undefined) {
      // Oneway, written. Kitex's client closes the connection after a oneway call too.
      pool.release(connection, false);
      this.finish(undefined);
      return;
    }
    this.receivedMessageBytes = reply.message.length;
    const outcome = replyOutcome(this.method, seqId, reply, this.settings.exceptionClasses);
    pool.release(connection, outcome.reusable);
    const onHeader = this.options.onHeader;
    if (onHeader !== undefined) {
      try {
        onHeader(reply.strHeaders);
      } catch (error) {
        debug('pingpong client: onHeader threw: %s', describeValue(error));
      }
    }
    if (outcome.ok) this.finish(undefined, outcome.value as Res);
    else this.finish(outcome.error);
  }

  /** The whole request: the Thrift message in the configured shape, with Kitex's keys. */
  private encode(seqId: number): Uint8Array {
    const { method, options, settings } = this;
    const type = method.oneway ? ThriftMessageType.Oneway : ThriftMessageType.Call;
    const message = encodeThriftMessage(
      { name: method.name, type, seqId },
      this.body ?? new Uint8Array(0),
    );
    this.messageBytes = message.length;
    const { shape } = settings;
    if (!carriesHeaders(shape)) {
      return encodePingPong({ shape, seqId, message });
    }
    const fromMethod = (this.parent as { method?: unknown } | undefined)?.method;
    const intHeaders = new Map<number, string>([
      [IntHeaderKey.TransportType, shape === 'ttheader-framed' ? 'framed' : 'unframed'],
      [IntHeaderKey.FromService, settings.fromService],
      [IntHeaderKey.FromMethod, typeof fromMethod === 'string' ? fromMethod : ''],
      [IntHeaderKey.ToService, settings.destService ?? this.service],
      [IntHeaderKey.ToMethod, method.name],
      [IntHeaderKey.MsgType, String(type)],
    ]);
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      intHeaders.set(IntHeaderKey.RPCTimeout, String(Math.ceil(options.timeoutMs)));
    }
    const strHeaders = new Map<string, string>(Object.entries(options.headers ?? {}));
    if (options.metainfo !== undefined) {
      for (const [k, v] of metainfoToHeaders(options.metainfo)) strHeaders.set(k, v);
    }
    strHeaders.set(HEADER_IDL_SERVICE_NAME, this.service);
    return encodePingPong({ shape, seqId, intHeaders, strHeaders, message });
  }

  private finish(error: Error | undefined, value?: Res): void {
    const previous = this.state;
    if (previous === CallState.Done) return;
    this.state = CallState.Done;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.options.signal !== undefined) unsubscribeAbort(this.options.signal, this);
    this.parent?.removeChild(this);
    this.parent = undefined;
    const { pool } = this.settings;
    if (previous === CallState.Waiting) pool.cancelWait(this);
    const connection = this.connection;
    this.connection = undefined;
    // Still awaiting the reply: it may yet arrive there, so the connection is closed.
    if (connection !== undefined) pool.release(connection, false);
    if (error === undefined) this.outcome.resolve(value as Res);
    else this.outcome.reject(error);
  }

  /** The error of a local cancel, by the abort reason. */
  private cancelError(reason: unknown): RpcCallError {
    const name = (reason as { name?: unknown } | null)?.name;
    if (reason === undefined || name === 'AbortError') {
      return this.error(RpcCallErrorKind.CanceledByBusiness, '', reason);
    }
    if (name === 'TimeoutError') {
      return this.error(RpcCallErrorKind.RPCTimeout, ', timeout by business', reason);
    }
    return this.error(RpcCallErrorKind.CanceledByBusiness, `: ${describeValue(reason)}`, reason);
  }

  /** Kitex's `timeout=1s, to=Svc, method=M, remote=host:port` then `suffix`. */
  private error(kind: RpcCallErrorKind, suffix: string, cause?: unknown): RpcCallError {
    const { timeoutMs } = this.options;
    const timeout =
      timeoutMs !== undefined && timeoutMs > 0
        ? `timeout=${goDuration(Math.ceil(timeoutMs))}, `
        : '';
    const to = this.settings.destService ?? this.service;
    const detail = `${timeout}to=${to}, method=${this.method.name}, remote=${this.settings.peer}${suffix}`;
    return new RpcCallError(kind, detail, { cause });
  }
}
