export {
  TTStreamServer,
  type TTStreamServerEvents,
  type TTStreamServerStatus,
} from './ttstream.server.js';
export {
  type TTStreamServerOptions,
  DEFAULT_TTSTREAM_HOST,
  DEFAULT_TTSTREAM_PORT,
  DEFAULT_GRACEFUL_SHUTDOWN_MS,
} from './ttstream-server-options.interface.js';
export { type ServerRegistryOptions, DEFAULT_DEREGISTER_TIMEOUT_MS } from './registry-lifecycle.js';
export { TTStreamContext } from './ttstream.context.js';
export { TTStreamExceptionFilter } from './ttstream-exception.filter.js';
export { EachMessagePipe } from './each-message.pipe.js';
export {
  type TTStreamExceptionMappingOptions,
  handlerErrorToFailure,
  filteredErrorToFailure,
  isNestUnknownError,
  NEST_UNKNOWN_ERROR_MESSAGE,
  NEST_FORBIDDEN_MESSAGE,
  FORBIDDEN_BIZ_STATUS,
} from './handler-error-to-failure.js';
export { TTStreamErrorCaptureInterceptor } from './error-capture.interceptor.js';
export { type TTStreamMetainfo, metainfoFromHeaders } from './metainfo.js';
export {
  type TTStreamIdlLike,
  type TTStreamServiceLike,
  type TTStreamMethodLike,
} from './idl-descriptor.js';
export { DEFAULT_OUTBOUND_HIGH_WATER_MARK } from './write-result.js';
export { type TTStreamIdlSource } from './resolve-idl.js';
