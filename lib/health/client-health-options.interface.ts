/** Options of `TTStreamHealthIndicator.isClientHealthy`. */
export interface TTStreamClientHealthOptions {
  /**
   * The whole check's budget (dial plus call), in ms; past it the check reports `down`, and a call
   * still open is cancelled. Default 1000. The dial is also bounded by the client's
   * `transportOptions.dialTimeoutMs` (default 1000).
   */
  readonly timeoutMs?: number;
  /**
   * A cheap method to call after the dial, as `Service.Method`, preferably a server-streaming one.
   * The check is up once its first response or its end arrives (the stream is then cancelled),
   * down when it fails (a business error included). Default none: the dial alone.
   */
  readonly pattern?: string;
  /** The request of that call (for a client or bidi method, its one message). Default `{}`. */
  readonly request?: unknown;
}
