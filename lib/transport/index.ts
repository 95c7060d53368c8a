/**
 * The TTHeader Streaming engine: connections, streams, pools, server and client transports.
 * Plain Node (`node:net`, AsyncIterable, AbortSignal); no Nest, no rxjs.
 */
export {
  type TransportAddress,
  type TcpAddress,
  type UnixAddress,
  isUnixAddress,
  formatAddress,
} from './address.js';
export {
  TTStreamClientTransport,
  type ClientTransportOptions,
  type ClientTransportStats,
  type ClientTransportEvents,
} from './client-transport.js';
export { ClientStream, type OpenStreamOptions, type StreamCall } from './client-stream.js';
export { type PoolMode } from './connection-pool.js';
export {
  TTStreamServerTransport,
  type ServerTransportOptions,
  type ServerTransportStats,
  type ServerTransportEvents,
} from './server-transport.js';
export {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_FIRST_FRAME_TIMEOUT_MS,
} from './server-limits.js';
export { DEFAULT_FRAME_TIMEOUT_MS } from './connection.js';
export { ServerStream, type StreamMode } from './server-stream.js';
export {
  type UnaryCall,
  type UnaryHandler,
  type UnaryRoute,
  type DeclaredExceptionField,
} from './unary-route.js';
export { DEFAULT_MAX_CALLS_PER_CONNECTION } from './server-transport.js';
export { type StreamHandler, type StreamRoute } from './server-router.js';
export {
  type RecvBufferLimits,
  DEFAULT_RECV_BUFFER,
  RECV_MESSAGE_OVERHEAD,
} from './recv-buffer.js';
export { type SendBufferLimits, DEFAULT_SEND_BUFFER } from './send-limiter.js';
// What `send()` returns when the socket took the frame at once: callers may skip the await.
export { ACCEPTED } from './frame-writer.js';
export {
  streamScope,
  currentParentStream,
  type CascadeParent,
  type CascadeChild,
} from './stream-scope.js';
export { errorFromTrailer, errorFromRst, bizErrorFromHeaders } from './trailer-to-error.js';
export { trailerFromError, type TrailerContent } from './error-to-trailer.js';
// Unary and oneway (ping-pong) calls: a pool of connections, one call in flight on each.
export {
  PingPongClientTransport,
  type PingPongClientOptions,
  type PingPongClientEvents,
} from './pingpong-client-transport.js';
export { PingPongCall, type PingPongCallOptions } from './pingpong-call.js';
export {
  type PingPongPoolStats,
  DEFAULT_PINGPONG_MAX_CONNECTIONS,
  DEFAULT_PINGPONG_MAX_IDLE,
  DEFAULT_PINGPONG_IDLE_TIMEOUT_MS,
  DEFAULT_PINGPONG_MAX_WAITERS,
} from './pingpong-client-pool.js';
