/**
 * The lifecycle of one RPC (a unary or oneway call, or a stream) as the transport reports it to
 * telemetry: a start, then optional header, message and trailer events, then one end with the
 * outcome. OpenTelemetry tracing and metrics are built on these events, and so can anything else
 * (Prometheus counters, access logs, a custom tracer): pass a {@link TTStreamTelemetry} in the
 * `telemetry` option of `TTStreamServer` or `TTStreamClient`.
 */

/** Which end of the RPC reports: the server serving it or the client making it. */
export type RpcSide = 'server' | 'client';

/** The method's kind: a unary or oneway call (ping-pong), or a stream mode (TTHeader Streaming). */
export type RpcKind = 'unary' | 'oneway' | 'server' | 'client' | 'bidirectional';

/** What every start event carries. */
export interface RpcStartBase {
  readonly side: RpcSide;
  /** The IDL service name (`EchoService`). */
  readonly service: string;
  /** The IDL method name (`EchoBidi`). */
  readonly method: string;
  readonly kind: RpcKind;
  /** `host:port` of the other end, when known (a client through a resolver learns it later). */
  readonly peer: string | undefined;
  /** The deadline of the whole RPC in ms, when one was set or received. */
  readonly timeoutMs: number | undefined;
  /**
   * The IDL's Go package (the last part of `namespace go`), which Kitex puts before the service
   * in span names (`echo.TestService/EchoUnary`); undefined when the IDL declares none.
   */
  readonly idlPackage: string | undefined;
  /**
   * This process's own service name, when configured: the client's `serviceName` option, the
   * server's registered name (`registry.serviceName`).
   */
  readonly localService: string | undefined;
}

/** A server-side start: a request reached a handler. */
export interface ServerRpcStart extends RpcStartBase {
  readonly side: 'server';
  /**
   * The request's string headers, metainfo included (`RPC_TRANSIT_<key>` transient and
   * `RPC_PERSIST_<key>` persistent values, as Kitex sends them).
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** A client-side start: a call is about to be sent. */
export interface ClientRpcStart extends RpcStartBase {
  readonly side: 'client';
  /** The string headers the call will send (metainfo included), before `setHeader` additions. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The callee's service name as the client knows it (the client's `service` option with a
   * resolver, else `destService`, else the IDL service).
   */
  readonly destService: string;
  /**
   * Adds a string header to the outbound request (a propagator injecting trace context uses
   * `RPC_TRANSIT_<key>` names, as Kitex's metainfo does). Later observers see earlier additions in
   * `headers` only through their own bookkeeping; a key set twice keeps the last value.
   */
  setHeader(key: string, value: string): void;
}

/** Either start event. */
export type RpcStart = ServerRpcStart | ClientRpcStart;

/**
 * How an RPC ended.
 * - `ok`: success (for a oneway call: the request was written, or accepted by the handler).
 * - `biz-error`: a business error (`BizStatusError`), the RPC itself succeeded.
 * - `exception`: the handler or the peer failed: an `ApplicationException` (`typeId` set), a
 *   declared IDL exception (`declared` true), a ttstream protocol error (`code` 12001-12006), a
 *   network or connection failure, or any other error.
 * - `cancel`: cancelled: by either side, by its upstream or downstream, by a closed connection
 *   (`code` 12007-12013, `canceledPath` when the peer sent one), or unsubscribed by the caller.
 * - `timeout`: the deadline passed (`code` 12014 or 12015 on streams; a unary `rpc timeout`).
 */
export type RpcOutcome =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'biz-error';
      readonly code: number;
      readonly message: string;
      readonly extra: Readonly<Record<string, string>> | undefined;
      readonly error: unknown;
    }
  | {
      readonly kind: 'exception';
      /** The ttstream code (12001-12006) or, for an `ApplicationException`, 12001. */
      readonly code: number | undefined;
      /** The Thrift `TApplicationException` type of an `ApplicationException`. */
      readonly typeId: number | undefined;
      /** True for an exception declared in the IDL (`throws`). */
      readonly declared: boolean;
      /** The error's class name (`ApplicationException`, `RpcCallError`, the IDL exception's name). */
      readonly type: string;
      readonly message: string;
      readonly error: unknown;
    }
  | {
      readonly kind: 'cancel' | 'timeout';
      readonly code: number | undefined;
      readonly message: string;
      /** The cancel path Kitex sends (`a,b,c`: the services the cancel went through), if any. */
      readonly canceledPath: readonly string[] | undefined;
      readonly error: unknown;
    };

/** What the transport counted over the whole RPC, given at its end. */
export interface RpcEndStats {
  /** Messages (DATA frames, or the one request or reply) written. */
  readonly sentMessages: number;
  /** Messages decoded and handed on. */
  readonly receivedMessages: number;
  /** From start to end, in ms (fractional, from `performance.now()`). */
  readonly durationMs: number;
  /**
   * Thrift payload bytes sent, on both sides the same measure, so that a client's `sentBytes`
   * equals its server's `receivedBytes`:
   * - a stream: the payloads of its DATA frames (each an encoded Thrift struct), without the
   *   frame headers;
   * - a unary or oneway call: the Thrift message written (envelope and `<Method>_args` or
   *   `<Method>_result` struct, or the EXCEPTION message), without the TTHeader or Framed
   *   framing; a oneway server sends none (0).
   *
   * Undefined when the transport does not count them (a custom binding).
   */
  readonly sentBytes?: number | undefined;
  /** Thrift payload bytes received, measured as {@link sentBytes}. */
  readonly receivedBytes?: number | undefined;
}

/**
 * The events of one RPC, for the observer that asked for them. Every method but `end` is
 * optional; an observer without `message` costs nothing per message.
 */
export interface RpcObserver {
  /**
   * Runs `fn` in this RPC's context: a server runs the handler through it (so that a tracer can
   * make its span the active one for the calls the handler makes), a client the call's start.
   */
  run?<T>(fn: () => T): T;
  /** The response HEADER (streams; client: received, server: sent) or a reply's header. */
  header?(headers: Readonly<Record<string, string>>): void;
  /** One message sent or received (the decoded value; `size` in bytes when the transport knows it). */
  message?(direction: 'sent' | 'received', message: unknown, size: number | undefined): void;
  /** The stream's TRAILER (client: as received; server: each set of keys the handler adds). */
  trailer?(trailers: Readonly<Record<string, string>>): void;
  /** The RPC ended; called exactly once, last. */
  end(outcome: RpcOutcome, stats: RpcEndStats): void;
}

/**
 * A telemetry plug-in: asked once per RPC, it returns the observer of that RPC, or `undefined` to
 * leave it unobserved (for example when no tracer or meter is registered). `start` runs on the
 * call's hot path: keep it cheap, and never throw (a throw is caught, logged once and the
 * plug-in skipped for that RPC).
 */
export interface TTStreamTelemetry {
  start(event: RpcStart): RpcObserver | undefined;
  /**
   * A server accepted a connection, or a client opened one (either protocol: ttstream streams,
   * ping-pong for unary calls); the observer hears of its close.
   */
  connection?(event: ConnectionStart): ConnectionObserver | undefined;
}

/** A connection a server accepted (`side: 'server'`) or a client opened (`'client'`). */
export interface ConnectionStart {
  readonly side: RpcSide;
  /** `host:port` of the other end: the client for a server, the server for a client. */
  readonly peer: string | undefined;
}

/** The events of one connection. */
export interface ConnectionObserver {
  /** The connection closed, having read `bytesIn` and written `bytesOut` bytes. */
  end(stats: { readonly bytesIn: number; readonly bytesOut: number }): void;
}

/**
 * The `telemetry` option of `TTStreamServer` and `TTStreamClient`:
 * - `'auto'` (default): OpenTelemetry tracing and metrics when `@opentelemetry/api` is installed
 *   (it records only once an SDK is registered), nothing otherwise;
 * - `false`: nothing;
 * - one plug-in or a list (add `openTelemetry({...})` to the list to keep OpenTelemetry with
 *   options of your own).
 */
export type TTStreamTelemetryOption =
  'auto' | false | TTStreamTelemetry | readonly TTStreamTelemetry[];
