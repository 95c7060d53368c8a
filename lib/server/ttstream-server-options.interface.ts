import { type TTStreamTelemetryOption } from '../telemetry/rpc-lifecycle.js';
import { type TTStreamLoggerOption } from '../logging/ttstream-logger.js';
import { type ServerTransportOptions } from '../transport/index.js';
import { type TTStreamExceptionMappingOptions } from './handler-error-to-failure.js';
import { type TTStreamIdlSource } from './resolve-idl.js';
import { type ServerBinding } from './server-binding.js';
import { type ServerRegistryOptions } from './registry-lifecycle.js';

/** Options of {@link TTStreamServer}. */
export interface TTStreamServerOptions {
  /**
   * The IDL: a loaded one (`loadThriftIdl('echo.thrift')`) or the path of the `.thrift` file.
   * It gives the services, each method's mode and the message codecs. Required.
   */
  readonly idl: TTStreamIdlSource;
  /** Include directories, when `idl` is a path. Default none. */
  readonly includeDirs?: readonly string[];
  /** Address to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to bind; 0 picks a free one. Default 8888. */
  readonly port?: number;
  /** How long `close()` lets in-flight streams finish before resetting them. Default 5000 ms. */
  readonly gracefulShutdownMs?: number;
  /**
   * Messages a handler's Observable may emit ahead of the connection (beyond what the
   * connection's writer holds, `writeHighWaterMark`) before its stream is failed (reset with
   * 12011). Generators and other AsyncIterable results are pulled and never run ahead. Default 1024.
   */
  readonly outboundHighWaterMark?: number;
  /** How handler failures become trailers when no filter of yours handled them. */
  readonly exceptionMapping?: TTStreamExceptionMappingOptions;
  /**
   * Where the server logs (context `TTStreamServer`): the bound address, transport errors (bad
   * frames, failed connections) at WARN with the peer, handler failures that reach the client as
   * an ApplicationException at ERROR, shutdown progress. Default Nest's `Logger`; `false` for none.
   */
  readonly logger?: TTStreamLoggerOption;
  /**
   * Publishes the server in a registry (e.g. `EtcdRegistry`) once listening; `close()`
   * deregisters it first, then drains. Default: not published.
   */
  readonly registry?: ServerRegistryOptions;
  /**
   * Tracing, metrics and lifecycle hooks: `'auto'` (default) records OpenTelemetry spans and
   * metrics once an OpenTelemetry SDK is registered (nothing when `@opentelemetry/api` is not
   * installed); `false` for none; or your own `TTStreamTelemetry` plug-ins.
   */
  readonly telemetry?: TTStreamTelemetryOption;
  /** Extra options for the transport (receive buffer limits and so on), passed through as is. */
  readonly transportOptions?: Omit<ServerTransportOptions, 'gracePeriodMs'>;
  /**
   * @internal not covered by semver: builds the transport binding (tests use an in-memory one).
   */
  readonly createBinding?: (options: TTStreamServerOptions) => ServerBinding;
}

/** Default host of {@link TTStreamServer}. */
export const DEFAULT_TTSTREAM_HOST = '127.0.0.1';
/** Default port of {@link TTStreamServer}, as in the sample. */
export const DEFAULT_TTSTREAM_PORT = 8888;
/** Default grace period of `TTStreamServer.close()` (Kitex's ExitWaitTime). */
export const DEFAULT_GRACEFUL_SHUTDOWN_MS = 5000;
