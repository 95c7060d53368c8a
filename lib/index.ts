/**
 * nestjs-ttstream: a NestJS transport for CloudWeGo Kitex TTHeader Streaming.
 * @packageDocumentation
 */
export * from './errors/index.js';
// Nest-facing API (server, client, decorators).
export {
  TTSTREAM_TRANSPORT,
  TTSTREAM_METHOD_METADATA,
  type StreamMode,
  type StreamPatternMetadata,
} from './nest-constants.js';
export * from './decorators/index.js';
export * from './server/index.js';
export * from './client/index.js';
export * from './discovery/index.js';
// Health checks for @nestjs/terminus (which is never imported).
export * from './health/index.js';
export * from './telemetry/index.js';
export { type TTStreamLoggerOption } from './logging/ttstream-logger.js';
// The engine without Nest: streams as AsyncIterables with send() promises and AbortSignals.
// (The transport's own `StreamMode` is the IDL spelling; the Nest one above is re-exported as is.)
export {
  TTStreamClientTransport,
  type ClientTransportOptions,
  type ClientTransportStats,
  type ClientTransportEvents,
  ClientStream,
  type OpenStreamOptions,
  type StreamCall,
  type PoolMode,
  TTStreamServerTransport,
  type ServerTransportOptions,
  type ServerTransportStats,
  ServerStream,
  type StreamHandler,
  type StreamRoute,
  type RecvBufferLimits,
  DEFAULT_RECV_BUFFER,
  type SendBufferLimits,
  DEFAULT_SEND_BUFFER,
  type TransportAddress,
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_CONNECTIONS,
  type TcpAddress,
  type UnixAddress,
} from './transport/index.js';
// Thrift: the IDL loader and the schema-driven Binary codec.
export * from './idl/index.js';
export * from './thrift/index.js';
// Unary and oneway calls without Nest.
export {
  PingPongClientTransport,
  type PingPongClientOptions,
  type PingPongClientEvents,
  PingPongCall,
  type PingPongCallOptions,
  type PingPongPoolStats,
  DEFAULT_PINGPONG_MAX_CONNECTIONS,
  DEFAULT_PINGPONG_MAX_IDLE,
  DEFAULT_PINGPONG_IDLE_TIMEOUT_MS,
  DEFAULT_PINGPONG_MAX_WAITERS,
} from './transport/index.js';
