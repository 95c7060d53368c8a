import { type TTStreamLoggerOption } from '../logging/ttstream-logger.js';
import { type ClientTransportOptions } from '../transport/index.js';
import { type TTStreamIdlSource } from '../server/resolve-idl.js';

/** Options of `TTStreamClient` (the `options` of a `ClientsModule` entry). */
export interface TTStreamClientOptions {
  /** The IDL: a loaded one (`loadThriftIdl(...)`) or the path of the `.thrift` file. Required. */
  readonly idl: TTStreamIdlSource;
  /** Include directories, when `idl` is a path. Default none. */
  readonly includeDirs?: readonly string[];
  /** Server host. Default `127.0.0.1`. */
  readonly host?: string;
  /** Server port. Default 8888. */
  readonly port?: number;
  /** Own service name, sent as the cancel path (`ttscp`) of the resets this client sends. */
  readonly serviceName?: string;
  /** Whole-call deadline applied when a call sets none, in ms. Default none. */
  readonly defaultTimeoutMs?: number;
  /** Headers added to every call (a call's own headers win). Default none. */
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  /**
   * Requests a request Observable may emit ahead of the connection before the call fails with
   * 12005 (AsyncIterable and array inputs are pulled and never run ahead). Default 1024.
   */
  readonly requestHighWaterMark?: number;
  /**
   * Extra options for the transport (pool mode and size, buffer limits), passed as is. Its
   * `dialTimeoutMs` (default 1000) also bounds `connect()`.
   */
  readonly transportOptions?: Omit<ClientTransportOptions, 'serviceName'>;
  /**
   * Where the client logs (context `TTStreamClient`): a failed dial or a connection that dies of
   * an error at WARN, with the server address; nothing per call. A Nest `LoggerService`, or
   * `false` for silence. Default: Nest's `Logger`.
   */
  readonly logger?: TTStreamLoggerOption;
}
