/**
 * Default caps of `TTStreamServerTransport`. Kitex has none of these; without them one peer
 * opening streams in a loop (a 62-byte HEADER each) once held 2.5 GB and then crashed the
 * process. Each default is far above what a well-behaved client reaches.
 */

/** Streams one connection may hold open (`maxConcurrentStreams`). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 10_000;

/** Streams the whole server may hold open (`maxStreams`): a few hundred MB at worst. */
export const DEFAULT_MAX_STREAMS = 50_000;

/** Connections the server accepts at once (`maxConnections`); more are closed on accept. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Unary calls handled at once on one ping-pong connection (`maxCallsPerConnection`). */
export const DEFAULT_MAX_CALLS_PER_CONNECTION = 64;

/** How long a new connection may take to complete its first frame (`firstFrameTimeoutMs`). */
export const DEFAULT_FIRST_FRAME_TIMEOUT_MS = 30_000;

/** How long the final resets of a shutdown may take to reach slow readers (`shutdownFlushMs`). */
export const DEFAULT_SHUTDOWN_FLUSH_MS = 5000;
