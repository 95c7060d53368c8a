import { type TTStreamTelemetryOption } from '../telemetry/rpc-lifecycle.js';
import { type ThriftExceptionClass } from '../errors/index.js';
import { type TTStreamLoggerOption } from '../logging/ttstream-logger.js';
import { type ClientTransportOptions, type PingPongClientOptions } from '../transport/index.js';
import { type TTStreamIdlSource } from '../server/resolve-idl.js';
import { type Balancer, type Resolver } from '../discovery/index.js';
import { type ClientDiscoveryOptions } from './balanced-target.js';

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
  /**
   * Instead of `host`/`port`: the name of the service to call, found through `resolver` (a
   * `StaticResolver`, `DnsResolver`, etcd...). Calls are spread over its instances by `balancer`.
   */
  readonly service?: string;
  /** Where the instances of `service` are found; required with `service`. */
  readonly resolver?: Resolver;
  /**
   * Chooses each call's instance. Default: smooth weighted round robin (Kitex's default);
   * also `WeightedRandomBalancer`, `ConsistentHashBalancer` (with `discovery.hashKey`).
   */
  readonly balancer?: Balancer;
  /** Only instances carrying all these tags are called. Default none. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Discovery tuning: `refreshIntervalMs` (5000), `connectAttempts` (3), `drainTimeoutMs`
   * (30 000), `hashKey`, `outlierDetection`.
   */
  readonly discovery?: ClientDiscoveryOptions;
  /**
   * Own service name, sent as the cancel path (`ttscp`) of the resets this client sends and as
   * the FromService (int key 3) of unary calls.
   */
  readonly serviceName?: string;
  /** Whole-call deadline applied when a call sets none, in ms (streams and unary calls). Default none. */
  readonly defaultTimeoutMs?: number;
  /** Headers added to every call (a call's own headers win). Default none. */
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  /**
   * Requests a request Observable may emit ahead of the connection (beyond what the connection's
   * writer holds, `writeHighWaterMark`) before the call fails with 12005 (AsyncIterable and array
   * inputs are pulled and never run ahead). Default 1024.
   */
  readonly requestHighWaterMark?: number;
  /**
   * Extra options for the transport (pool mode and size, buffer limits), passed as is. Its
   * `dialTimeoutMs` (default 1000) also bounds `connect()`.
   */
  readonly transportOptions?: Omit<ClientTransportOptions, 'serviceName'>;
  /**
   * Unary and oneway calls: their connection pool (`maxConnections` 100, `maxIdle` 10,
   * `idleTimeoutMs` 60 000, `maxWaiters` 10 000), framing (`shape`: `ttheader` by default, or
   * `framed`), reply limits and the server's service name (`destService`). Its `dialTimeoutMs`
   * defaults to `transportOptions.dialTimeoutMs`, then 1000.
   */
  readonly pingPongOptions?: Omit<PingPongClientOptions, 'serviceName' | 'exceptionClasses'>;
  /**
   * Generated exception classes (the generated file's exception list, or `[EchoException]`): a
   * declared exception arrives as an instance of its class; without it, as a `ThriftException`
   * whose `thriftName` names the IDL struct. Default none.
   */
  readonly exceptionClasses?: Iterable<ThriftExceptionClass>;
  /**
   * Where the client logs (context `TTStreamClient`): a failed dial or a connection that dies of
   * an error at WARN, with the server address; nothing per call. A Nest `LoggerService`, or
   * `false` for silence. Default: Nest's `Logger`.
   */
  readonly logger?: TTStreamLoggerOption;
  /**
   * Tracing, metrics and lifecycle hooks: `'auto'` (default) records OpenTelemetry spans and
   * metrics once an OpenTelemetry SDK is registered, and sends the trace context as Kitex does
   * (`RPC_TRANSIT_traceparent`); nothing when `@opentelemetry/api` is not installed. `false` for
   * none, or your own `TTStreamTelemetry` plug-ins.
   */
  readonly telemetry?: TTStreamTelemetryOption;
}
