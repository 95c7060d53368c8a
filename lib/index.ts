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
