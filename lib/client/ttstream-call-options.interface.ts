/**
 * Per-call options of `TTStreamClient` calls. Unary and oneway calls use `headers`, `metainfo`,
 * `timeoutMs`, `signal` and `onHeader` (TTHeader only; Framed carries no headers).
 */
export interface TTStreamCallOptions {
  /** Extra string headers of the opening HEADER frame (of the TTHeader request). Default none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Kitex metainfo: `transient` as `RPC_TRANSIT_<k>`, `persistent` as `RPC_PERSIST_<k>`. */
  readonly metainfo?: {
    readonly transient?: Readonly<Record<string, string>>;
    readonly persistent?: Readonly<Record<string, string>>;
  };
  /**
   * Whole-call deadline in ms: the call fails with 12015 and the stream is reset when it passes
   * (a unary call: `rpc timeout`, its connection closed); also sent to the server (int key 12).
   * Default: the client's `defaultTimeoutMs` (none).
   */
  readonly timeoutMs?: number;
  /** Longest wait for one response, in ms: 12014 and a reset. Streams only. Default none. */
  readonly recvTimeoutMs?: number;
  /**
   * Aborting it cancels the call (12007; 12015 for `AbortSignal.timeout()`; a unary call fails
   * with `canceled by business`, or `rpc timeout` for `AbortSignal.timeout()`).
   */
  readonly signal?: AbortSignal;
  /** Called with the server's HEADER keys when they arrive (a unary reply's TTHeader keys). */
  readonly onHeader?: (headers: Readonly<Record<string, string>>) => void;
  /** Called with the server's TRAILER keys (also when the call fails with a trailer). Streams only. */
  readonly onTrailer?: (trailers: Readonly<Record<string, string>>) => void;
}
