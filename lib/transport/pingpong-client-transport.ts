import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { RpcCallError } from '../errors/rpc-call-error.js';
import type { ThriftExceptionClass } from '../errors/thrift-exception.js';
import type { PingPongShape } from '../protocol/pingpong-shape.js';
import { exceptionClassMap } from '../thrift/declared-exception.js';
import type { UnaryMethodDescriptor } from '../thrift/thrift-idl.js';
import { formatAddress, type TransportAddress } from './address.js';
import {
  PingPongCall,
  type PingPongCallOptions,
  type PingPongCallSettings,
} from './pingpong-call.js';
import {
  DEFAULT_PINGPONG_IDLE_TIMEOUT_MS,
  DEFAULT_PINGPONG_MAX_CONNECTIONS,
  DEFAULT_PINGPONG_MAX_IDLE,
  DEFAULT_PINGPONG_MAX_WAITERS,
  PingPongClientPool,
  type PingPongPoolStats,
} from './pingpong-client-pool.js';
import { currentParentStream, noteClientCreated } from './stream-scope.js';

/** Options of {@link PingPongClientTransport}. */
export interface PingPongClientOptions {
  /**
   * How requests are framed: `ttheader` (default: carries business errors, metainfo, headers
   * and the timeout), `framed` (Kitex's default for unary calls; no headers, so business errors
   * are lost), `ttheader-framed` or `buffered`. Replies are read in whatever shape they come.
   */
  readonly shape?: PingPongShape;
  /** Connections opened at most (busy, idle and dialing). Default 100. */
  readonly maxConnections?: number;
  /** Idle connections kept for later calls (Kitex `MaxIdlePerAddress`). Default 10. */
  readonly maxIdle?: number;
  /** An idle connection is closed after this, in ms (Kitex `MaxIdleTimeout`). Default 60 000. */
  readonly idleTimeoutMs?: number;
  /**
   * Calls that may wait for a connection while `maxConnections` are busy; past it a call fails
   * at once with `request over limit`. Default 10 000.
   */
  readonly maxWaiters?: number;
  /** Dial timeout in ms (`get connection error ... i/o timeout`). Default 1000. */
  readonly dialTimeoutMs?: number;
  /** Largest reply accepted, in bytes; a larger one fails its call and closes the connection. Default 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Most TTHeader key/value pairs in one reply, likewise. Default 4096. */
  readonly maxHeaderKeys?: number;
  /** Most TTHeader header bytes in one reply, likewise. Default 128 KiB. */
  readonly maxHeaderBytes?: number;
  /** Own service name, sent in int key 3 (FromService). Default `''`. */
  readonly serviceName?: string;
  /** The server's service name, sent in int key 6 (ToService). Default: the IDL service name. */
  readonly destService?: string;
  /**
   * Generated exception classes (`TESTSERVICE_EXCEPTIONS` or `[EchoException]`): a declared
   * exception in a reply arrives as an instance of its class; without one, as a
   * `ThriftException` whose `thriftName` tells which. Default none.
   */
  readonly exceptionClasses?: Iterable<ThriftExceptionClass>;
}

/** Events of {@link PingPongClientTransport}. */
export interface PingPongClientEvents {
  /** A connection to the server was established (its socket). */
  connect: [socket: Socket];
  /**
   * A dial failed or a connection died of an error; the calls concerned failed with it. Emitted
   * only while someone listens.
   */
  error: [error: RpcCallError];
}

/**
 * The client side of Kitex unary and oneway ("ping-pong") calls to one server address, over a
 * pool of connections with one call in flight each, as Kitex's long pool does.
 *
 * ```ts
 * const client = new PingPongClientTransport({ host: '127.0.0.1', port: 8888 });
 * const method = idl.services.get('TestService')?.methods.get('EchoUnary'); // mode 'unary'
 * const response = await client.call('TestService', method, { req: { message: 'hi' } }, { timeoutMs: 1000 });
 * await client.close();
 * ```
 */
export class PingPongClientTransport extends EventEmitter<PingPongClientEvents> {
  private readonly pool: PingPongClientPool;
  private readonly settings: PingPongCallSettings;

  /** @throws TypeError for an exception class without a static `thriftName`. */
  constructor(
    readonly address: TransportAddress,
    options: PingPongClientOptions = {},
  ) {
    super();
    noteClientCreated();
    const classes =
      options.exceptionClasses === undefined
        ? undefined
        : exceptionClassMap(options.exceptionClasses);
    this.pool = new PingPongClientPool(address, {
      maxConnections: positive(options.maxConnections, DEFAULT_PINGPONG_MAX_CONNECTIONS),
      maxIdle: Math.max(0, options.maxIdle ?? DEFAULT_PINGPONG_MAX_IDLE),
      idleTimeoutMs: positive(options.idleTimeoutMs, DEFAULT_PINGPONG_IDLE_TIMEOUT_MS),
      maxWaiters: Math.max(0, options.maxWaiters ?? DEFAULT_PINGPONG_MAX_WAITERS),
      dialTimeoutMs: positive(options.dialTimeoutMs, 1000),
      decoder: {
        maxMessageBytes: options.maxMessageBytes,
        maxHeaderKeys: options.maxHeaderKeys,
        maxHeaderBytes: options.maxHeaderBytes,
      },
      onConnect: (connection) => {
        this.emit('connect', connection.socket);
      },
      onConnectionError: (error) => {
        if (this.listenerCount('error') > 0) this.emit('error', error);
      },
    });
    this.settings = {
      pool: this.pool,
      shape: options.shape ?? 'ttheader',
      fromService: options.serviceName ?? '',
      destService: options.destService,
      exceptionClasses: classes,
      peer: formatAddress(address),
    };
  }

  /**
   * Calls a unary method (resolves with its return value: undefined for void) or a oneway one
   * (resolves once the request is written). `args` is the method's args struct, keyed by
   * parameter name. Rejects with a `BizStatusError`, the declared exception, an
   * `ApplicationException` (the server's EXCEPTION reply) or an `RpcCallError`.
   * @param service the IDL service name the call addresses (sent as `isn`).
   */
  call<Res = unknown>(
    service: string,
    method: UnaryMethodDescriptor,
    args: Record<string, unknown>,
    options?: PingPongCallOptions,
  ): Promise<Res> {
    return this.startCall<Res>(service, method, args, options).result;
  }

  /**
   * Starts a call and returns it at once: `result` settles as {@link call}'s promise does and
   * `cancel()` ends it early. Inside a server handler the call is cancelled with that handler
   * unless `options.parent` is `null`.
   */
  startCall<Res = unknown>(
    service: string,
    method: UnaryMethodDescriptor,
    args: Record<string, unknown>,
    options: PingPongCallOptions = {},
  ): PingPongCall<Res> {
    const call = new PingPongCall<Res>(service, method, args, options, this.settings);
    const parent = options.parent === null ? undefined : (options.parent ?? currentParentStream());
    call.start(parent);
    return call;
  }

  /** Connection and queue counts. */
  stats(): PingPongPoolStats {
    return this.pool.stats();
  }

  /** Closes every connection; calls in flight or waiting fail (`internal exception: client is closed`). */
  close(): Promise<void> {
    return this.pool.close();
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 ? value : fallback;
}
