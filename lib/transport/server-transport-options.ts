import type { RecvBufferLimits } from './recv-buffer.js';
import type { SendBufferLimits } from './send-limiter.js';

/** Options of {@link TTStreamServerTransport}. */
export interface ServerTransportOptions {
  /** Close connections that have had no stream for this long; 0 disables. Default 600 000 ms (Kitex's 10 min). */
  readonly idleTimeoutMs?: number;
  /**
   * Streams per connection; one more gets a HEADER and an exception TRAILER (`too many concurrent
   * streams`). Default 10,000.
   */
  readonly maxConcurrentStreams?: number;
  /** Streams of the whole server; one more is refused the same way. Default 50,000. */
  readonly maxStreams?: number;
  /**
   * Connections held at once; one more is closed as soon as it is accepted (an `error` event says
   * so). Default 10,000.
   */
  readonly maxConnections?: number;
  /** Graceful shutdown: how long in-flight streams may run after `close()`. Default 5000 ms. */
  readonly gracePeriodMs?: number;
  /**
   * After the grace period, how long the resets of the streams still open may take to reach
   * slow readers before their connections are destroyed. Default 5000 ms.
   */
  readonly shutdownFlushMs?: number;
  /** Largest frame (LENGTH field) sent or accepted; a larger incoming frame resets its stream only. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** Per-stream receive buffer; a handler that falls behind gets its stream reset (12011). */
  readonly recvBuffer?: RecvBufferLimits;
  /** Per-stream limit on sends not yet accepted by the socket. */
  readonly sendBuffer?: SendBufferLimits;
  /** Received bytes buffered per connection before reading pauses. Default 64 MiB. */
  readonly maxConnectionBufferBytes?: number;
  /**
   * Most key/value pairs in one received frame's header; a frame with more closes its connection
   * (12004). Default 4096: Kitex sends a few dozen.
   */
  readonly maxHeaderKeys?: number;
  /** Most header info bytes in one received frame, likewise. Default 128 KiB. */
  readonly maxHeaderBytes?: number;
  /**
   * Once a frame's first byte has arrived, how long the rest may take before its connection is
   * closed (a peer trickling bytes); 0 disables. Default 60 000 ms.
   */
  readonly frameTimeoutMs?: number;
  /**
   * How long a new connection may take to complete its first frame before it is closed (a peer
   * that connects and stays silent); 0 disables. Default 30 000 ms.
   */
  readonly firstFrameTimeoutMs?: number;
  /**
   * Bytes queued for one connection (writer plus socket) below which `send()` resolves at once.
   * Default 256 KiB (`DEFAULT_WRITER_HIGH_WATER_MARK`).
   */
  readonly writeHighWaterMark?: number;
  /** Send `biz error: internal error` instead of a failing handler's message. Default false. */
  readonly hideErrorMessages?: boolean;
  /**
   * Maps a handler's error before it becomes the TRAILER or the unary reply (for instance an
   * HttpException to a BizStatusError). Return the input to keep it.
   */
  readonly mapError?: (error: unknown) => unknown;
  /**
   * Run handlers inside {@link streamScope}, so client streams they open are cancelled with them
   * (cascade). Default: on once the process has created a client (`TTStreamClientTransport` or
   * `TTStreamClient`), off before, since a handler can only call downstream through one; on
   * Node 20 the scope costs AsyncLocalStorage's promise hooks (~340 B heap per idle stream, and
   * CPU on every promise). `true` forces it on (a client created inside a handler cascades too),
   * `false` off.
   */
  readonly cascade?: boolean;
  /**
   * Unary and oneway calls handled at once on one ping-pong connection (pipelining clients);
   * reading pauses at this many. Default 64 (a Kitex client sends one at a time).
   */
  readonly maxCallsPerConnection?: number;
}
