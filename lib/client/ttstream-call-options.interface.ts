/** Per-call options of `TTStreamClient` calls. */
export interface TTStreamCallOptions {
  /** Extra string headers of the opening HEADER frame. Default none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Kitex metainfo: `transient` as `RPC_TRANSIT_<k>`, `persistent` as `RPC_PERSIST_<k>`. */
  readonly metainfo?: {
    readonly transient?: Readonly<Record<string, string>>;
    readonly persistent?: Readonly<Record<string, string>>;
  };
  /**
   * Whole-call deadline in ms: the call fails with 12015 and the stream is reset when it passes;
   * also sent to the server. Default: the client's `defaultTimeoutMs` (none).
   */
  readonly timeoutMs?: number;
  /** Longest wait for one response, in ms: 12014 and a reset. Default none. */
  readonly recvTimeoutMs?: number;
  /** Aborting it cancels the call (12007; 12015 for `AbortSignal.timeout()`). */
  readonly signal?: AbortSignal;
  /** Called with the server's HEADER keys when they arrive. */
  readonly onHeader?: (headers: Readonly<Record<string, string>>) => void;
  /** Called with the server's TRAILER keys (also when the call fails with a trailer). */
  readonly onTrailer?: (trailers: Readonly<Record<string, string>>) => void;
}
