import { RpcException } from '@nestjs/microservices';

/**
 * What went wrong with a unary or oneway call outside the server's handler, named by the Kitex
 * error (`pkg/kerrors`) a Kitex client returns for the same failure; each value is that error's
 * text.
 */
export const RpcCallErrorKind = {
  /** The call's timeout passed, or the calling handler's deadline did (`kerrors.ErrRPCTimeout`). */
  RPCTimeout: 'rpc timeout',
  /** The caller cancelled: `AbortSignal`, or the calling handler's stream was cancelled. */
  CanceledByBusiness: 'canceled by business',
  /** No connection could be dialed: refused, unreachable, dial timeout (`ErrGetConnection`). */
  GetConnection: 'get connection error',
  /** The connection failed during the call, or the reply was unreadable (`ErrRemoteOrNetwork`). */
  RemoteOrNetwork: 'remote or network error',
  /** The connection pool's wait queue is full (`ErrOverlimit`). */
  Overlimit: 'request over limit',
  /** The client was closed, or another local failure (`ErrInternalException`). */
  InternalException: 'internal exception',
} as const;

/** One of the {@link RpcCallErrorKind} values. */
export type RpcCallErrorKind = (typeof RpcCallErrorKind)[keyof typeof RpcCallErrorKind];

/** Options of {@link RpcCallError}. */
export interface RpcCallErrorOptions {
  /** True when the peer's bytes caused it (a bad reply): the text gets Kitex's `[remote]` tag. */
  readonly remote?: boolean;
  /** The underlying error (a socket error, the abort reason...). */
  readonly cause?: unknown;
}

/**
 * A unary or oneway call that failed in the transport rather than in the server's handler, with
 * the text a Kitex client gives the same failure, for example
 * `rpc timeout: timeout=100ms, to=TestService, method=EchoUnary, remote=127.0.0.1:8888` or
 * `remote or network error: get connection error: dial tcp 127.0.0.1:8888: connect: connection refused`.
 * Errors of the handler arrive as `BizStatusError`, a declared exception or `ApplicationException`.
 *
 * Subclasses Nest's `RpcException` and returns itself from `getError()`, so Nest's default
 * exception filter passes it through intact.
 */
export class RpcCallError extends RpcException {
  /** Which Kitex error this is. */
  readonly kind: RpcCallErrorKind;
  /** The text after the Kitex prefix (the cause's text in Kitex's `DetailedError`). */
  readonly detail: string;
  /** True when the peer's bytes caused it. */
  readonly remote: boolean;

  constructor(kind: RpcCallErrorKind, detail: string, options: RpcCallErrorOptions = {}) {
    super(formatRpcCallMessage(kind, detail, options.remote === true));
    this.name = 'RpcCallError';
    this.kind = kind;
    this.detail = detail;
    this.remote = options.remote === true;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', {
        value: options.cause,
        writable: true,
        configurable: true,
      });
    }
  }

  /** True for {@link RpcCallErrorKind.RPCTimeout} (Kitex `kerrors.IsTimeoutError`). */
  get isTimeout(): boolean {
    return this.kind === RpcCallErrorKind.RPCTimeout;
  }

  /** Returns the error itself, so Nest's RPC exception filter passes it through intact. */
  override getError(): this {
    return this;
  }
}

/**
 * Kitex's `DetailedError.Error()` layout: `basic[extra]: cause`. A failed dial reads as Kitex's
 * does once its client's I/O error handler has wrapped it: `remote or network error: get
 * connection error: <cause>`.
 */
export function formatRpcCallMessage(
  kind: RpcCallErrorKind,
  detail: string,
  remote: boolean,
): string {
  if (kind === RpcCallErrorKind.GetConnection) {
    return `${RpcCallErrorKind.RemoteOrNetwork}: ${kind}: ${detail}`;
  }
  return `${kind}${remote ? '[remote]' : ''}: ${detail}`;
}

/** True for an {@link RpcCallError} of the given kind (or any kind when omitted). */
export function isRpcCallError(error: unknown, kind?: RpcCallErrorKind): error is RpcCallError {
  return error instanceof RpcCallError && (kind === undefined || error.kind === kind);
}
