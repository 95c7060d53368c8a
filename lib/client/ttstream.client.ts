/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters --
   `Res`/`T` type the Observables and stubs callers get, as in Nest's ClientGrpc. */
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { lastValueFrom, type Observable, throwError } from 'rxjs';
import { TTStreamError, TTStreamErrorCode, type ThriftExceptionClass } from '../errors/index.js';
import { resolveLog, type TTStreamLog } from '../logging/ttstream-logger.js';
import { type StreamMode } from '../nest-constants.js';
import {
  findIdlMethod,
  type TTStreamIdlLike,
  type TTStreamMethodLike,
} from '../server/idl-descriptor.js';
import { resolveIdl } from '../server/resolve-idl.js';
import {
  formatAddress,
  PingPongClientTransport,
  type PingPongCall,
  TTStreamClientTransport,
  type TransportAddress,
} from '../transport/index.js';
import { noteClientCreated } from '../transport/stream-scope.js';
import { exceptionClassMap, type MessageCodec, payloadToArgs } from '../thrift/index.js';
import { callObservable, streamInput, type CallInput, type CallStream } from './client-call.js';
import { type BalancedPingPongTransport } from './balanced-pingpong-transport.js';
import { type BalancedStreamTransport } from './balanced-stream-transport.js';
import * as discovery from './discovery-transports.js';
import { createServiceStub } from './service-stub.js';
import { splitPattern } from './method-pattern.js';
import { createClientTelemetry } from './client-telemetry.js';
import { observeConnection } from '../server/observed-connection.js';
import {
  type ClientCallTap,
  type ClientTelemetry,
  observedClientCall,
} from './observed-client-call.js';
import { mergedRecords } from './merged-records.js';
import { type TTStreamCallOptions } from './ttstream-call-options.interface.js';
import { type TTStreamClientOptions } from './ttstream-client-options.interface.js';
import {
  dispatchMetadata,
  isOnewayMethod,
  onewayObservable,
  pingPongCallOptions,
  unaryDescriptor,
  unaryObservable,
} from './unary-call.js';

/** Status values of {@link TTStreamClient}. */
export type TTStreamClientStatus = 'connected' | 'disconnected';

/**
 * A Nest client proxy for Kitex servers: streaming methods over TTHeader Streaming, unary and
 * oneway methods over a pool of ping-pong connections (TTHeader by default). Register it with
 * `ClientsModule.register([{ name: 'ECHO', customClass: TTStreamClient, options: { idl, port } }])`
 * (closed on application shutdown), or create it directly.
 *
 * Every call but `emit()` is a cold Observable: subscribing opens a stream (or makes the unary
 * call), unsubscribing before its end cancels it. Failures arrive as `BizStatusError`, a
 * declared exception (`ThriftException`), `ApplicationException`, `TTStreamError` (streams) or
 * `RpcCallError` (unary transport failures), with Kitex's codes and texts. A call made inside a
 * handler is cancelled with that handler's stream.
 */
// No type arguments: `ClientsModule`'s `customClass` expects `Type<ClientProxy>` exactly, and
// the status subject makes its type parameters invariant. It has no events (`on()` throws).
export class TTStreamClient extends ClientProxy {
  private transport: TTStreamClientTransport | BalancedStreamTransport | undefined;
  private pingPong: PingPongClientTransport | BalancedPingPongTransport | undefined;
  private balanced: discovery.BalancedTransports | undefined;
  private readonly exceptionClasses: readonly ThriftExceptionClass[] | undefined;
  private readonly idl: TTStreamIdlLike;
  private readonly log: TTStreamLog;
  private readonly telemetry: ClientTelemetry | undefined;

  /**
   * @throws TypeError without `options.idl`, or for an exception class without `thriftName`;
   * ThriftIdlError when an IDL path cannot be loaded.
   */
  constructor(private readonly options: TTStreamClientOptions) {
    super();
    if (typeof options !== 'object' || (options.idl as unknown) == null) {
      throw new TypeError('TTStreamClient needs options.idl (a loaded IDL or a .thrift path)');
    }
    discovery.checkDiscoveryOptions(options);
    this.idl = resolveIdl(options.idl, options.includeDirs);
    this.log = resolveLog(options.logger, 'TTStreamClient');
    const peer = discovery.usesDiscovery(options) ? undefined : formatAddress(this.address());
    this.telemetry = createClientTelemetry(options, this.idl, this.log, peer);
    this.exceptionClasses =
      options.exceptionClasses === undefined
        ? undefined
        : [...exceptionClassMap(options.exceptionClasses).values()];
    // Its transport comes with the first call; servers must cascade from now on.
    noteClientCreated();
  }

  /** `connected` once a connection to the server is established, `disconnected` after `close()`. */
  override get status(): Observable<TTStreamClientStatus> {
    return super.status as Observable<TTStreamClientStatus>;
  }

  /**
   * Dials the server and resolves once a TCP connection is established; that connection then
   * serves the next calls. Idempotent: with a connection open it resolves at once, and concurrent
   * calls share one dial. Bounded by `transportOptions.dialTimeoutMs` (default 1000 ms).
   * Nest's `send()` calls it first, as with other clients.
   * @throws TTStreamError 12006 (`transport is closing` kind, with `dial tcp host:port: ...` or
   * `dial host:port timed out after Nms`) when nothing accepts the connection in time.
   */
  async connect(): Promise<void> {
    await this.ensureTransport().connect();
  }

  /** Closes every connection; open streams fail with 12006, unary calls in flight too. */
  async close(): Promise<void> {
    const { transport, pingPong } = this;
    if (transport === undefined && pingPong === undefined) return;
    this.transport = undefined;
    this.pingPong = undefined;
    this.balanced = undefined;
    await Promise.all([transport?.close(), pingPong?.close()]);
    this._status$.next('disconnected');
  }

  /** The streaming transport (a balancing one with `resolver`); throws before the first call. */
  unwrap<T>(): T {
    if (this.transport === undefined) throw new Error('TTStreamClient is not connected');
    return this.transport as T;
  }

  /**
   * Calls a server-streaming method (`Service.Method`): one request, the responses as they come.
   * @throws TypeError at once when the IDL lacks the method or it has another mode.
   */
  serverStream<Req = unknown, Res = unknown>(
    method: string,
    request: Req,
    options?: TTStreamCallOptions,
  ): Observable<Res> {
    return this.call<Res>(method, 'server', { kind: 'one', request }, options);
  }

  /**
   * Calls a client-streaming method: every request of `requests` (an Observable, or an array or
   * AsyncIterable pulled one request per completed write), then its one response.
   * @throws TypeError at once when the IDL lacks the method or it has another mode.
   */
  clientStream<Req = unknown, Res = unknown>(
    method: string,
    requests: Observable<Req> | AsyncIterable<Req> | Iterable<Req>,
    options?: TTStreamCallOptions,
  ): Observable<Res> {
    return this.call<Res>(method, 'client', { kind: 'many', requests }, options);
  }

  /**
   * Calls a bidirectional method: requests go out as `requests` emits, responses as they come.
   * @throws TypeError at once when the IDL lacks the method or it has another mode.
   */
  bidiStream<Req = unknown, Res = unknown>(
    method: string,
    requests: Observable<Req> | AsyncIterable<Req> | Iterable<Req>,
    options?: TTStreamCallOptions,
  ): Observable<Res> {
    return this.call<Res>(method, 'bidirectional', { kind: 'many', requests }, options);
  }

  /**
   * Calls `pattern` (`Service.Method`) and returns an Observable of its reply. A unary method is
   * called over a ping-pong connection: a cold Observable of its one value (undefined for void).
   * A streaming method gets the Nest behaviour: an Observable (or AsyncIterable) `data` is the
   * request stream, anything else the one request.
   * @param data the request; for a unary method with several (or no) parameters, an object of
   * them by name.
   * Errors (in the Observable): TypeError for an unknown method or a oneway one (use `emit`).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's signature
  override send<TResult = any, TInput = any>(
    pattern: unknown,
    data: TInput,
    options?: TTStreamCallOptions,
  ): Observable<TResult> {
    const found = this.lookup(pattern);
    if (found instanceof Error) return throwError(() => found);
    const { service, descriptor } = found;
    if (descriptor.mode !== 'unary') {
      if (options === undefined) return super.send(pattern, data);
      return this.callMethod<TResult>(service, descriptor, streamInput(descriptor, data), options);
    }
    if (isOnewayMethod(descriptor)) {
      const text = `TTStreamClient: ${service}.${descriptor.name} is oneway: call it with emit()`;
      return throwError(() => new TypeError(text));
    }
    const metadata = dispatchMetadata(this, pattern, data);
    return this.observed(service, descriptor, options, (tap) =>
      unaryObservable(this.unary<TResult>(service, descriptor, data, options, metadata, tap)),
    );
  }

  /**
   * Calls a oneway method (`Service.Method`) at once, as Nest's `emit()` does: the Observable
   * emits `undefined` and completes once the request is written (nothing comes back), or errors.
   * Errors: TypeError for an unknown method; TTStreamError 12005 for a method that is not oneway.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's signature
  override emit<TResult = any, TInput = any>(
    pattern: unknown,
    data: TInput,
    options?: TTStreamCallOptions,
  ): Observable<TResult> {
    const found = this.lookup(pattern);
    if (found instanceof Error) return throwError(() => found);
    const { service, descriptor } = found;
    if (!isOnewayMethod(descriptor)) {
      const detail =
        descriptor.mode === 'unary'
          ? `${service}.${descriptor.name} is not oneway: call it with send()`
          : `TTHeader Streaming has no events: use send('${service}.${descriptor.name}', data) or a stream method`;
      return throwError(
        () => new TTStreamError(TTStreamErrorCode.IllegalOperation, { side: 'client', detail }),
      );
    }
    const metadata = dispatchMetadata(this, pattern, data);
    return this.observed(service, descriptor, options, (tap) =>
      onewayObservable(this.unary(service, descriptor, data, options, metadata, tap)),
    ) as Observable<TResult>;
  }

  /**
   * Typed stubs of an IDL service, like `ClientGrpc.getService`: one function per method, under
   * its IDL name and its camelCase name. Unary and server-streaming methods take
   * `(request, options?)`; client and bidirectional ones `(requests$, options?)`. All return cold
   * Observables, except oneway methods, which are sent at once as by `emit()`.
   */
  getService<T extends object>(service: string): T {
    const svc = this.idl.services.get(service);
    if (svc === undefined) throw new Error(`TTStreamClient: the IDL has no service '${service}'`);
    return createServiceStub<T>(svc, (method, input, options) =>
      this.callMethod(service, method, input, options),
    );
  }

  /**
   * Nest's `send(pattern, data)` for `pattern` = `Service.Method`: an Observable (or
   * AsyncIterable) `data` is the request stream, anything else the one request.
   */
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    try {
      const found = this.lookup(packet.pattern);
      if (found instanceof Error) throw found;
      const { service, descriptor } = found;
      const input = streamInput(descriptor, packet.data);
      const headers = packet.metadata === undefined ? undefined : { ...packet.metadata };
      const subscription = this.callMethod(service, descriptor, input, { headers }).subscribe({
        next: (response) => {
          callback({ response });
        },
        error: (err: unknown) => {
          callback({ err });
        },
        complete: () => {
          callback({ isDisposed: true });
        },
      });
      return () => {
        subscription.unsubscribe();
      };
    } catch (err) {
      callback({ err });
      return noop;
    }
  }

  /** Nest's event dispatch: a oneway call, as {@link emit} makes it. */
  protected dispatchEvent<T = undefined>(packet: ReadPacket): Promise<T> {
    const event$ = this.emit<T>(packet.pattern, packet.data);
    return lastValueFrom(event$, { defaultValue: undefined as T });
  }

  /** Keeps our error classes (and any other error) intact. */
  protected override serializeError(err: unknown): unknown {
    return err;
  }

  private call<Res>(
    pattern: string,
    expected: StreamMode,
    input: CallInput,
    options: TTStreamCallOptions | undefined,
  ): Observable<Res> {
    const { service, method } = splitPattern(pattern);
    const descriptor = this.method(service, method);
    if (descriptor.mode !== expected) {
      throw new TypeError(
        `TTStreamClient: ${pattern} is a '${descriptor.mode}' method, not '${expected}'`,
      );
    }
    return this.callMethod<Res>(service, descriptor, input, options);
  }

  private callMethod<Res>(
    service: string,
    descriptor: TTStreamMethodLike,
    input: CallInput,
    options: TTStreamCallOptions = {},
  ): Observable<Res> {
    if (descriptor.mode === 'unary') {
      const request = (input as { request?: unknown }).request;
      return this.observed(service, descriptor, options, (tap) => {
        const start = this.unary<Res>(service, descriptor, request, options, undefined, tap);
        return isOnewayMethod(descriptor)
          ? (onewayObservable(start) as Observable<Res>)
          : unaryObservable(start);
      });
    }
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    const headers = mergedRecords(this.options.defaultHeaders, options.headers);
    const open = (added?: Readonly<Record<string, string>>): CallStream =>
      this.ensureTransport().openStream(
        {
          service,
          method: descriptor.name,
          requestCodec: descriptor.requestCodec as MessageCodec<unknown>,
          responseCodec: descriptor.responseCodec as MessageCodec<unknown>,
        },
        {
          headers: added === undefined ? headers : mergedRecords(added, headers),
          metainfo: options.metainfo,
          timeoutMs,
          recvTimeoutMs: options.recvTimeoutMs,
          signal: options.signal,
        },
      );
    return this.observed(service, descriptor, options, (tap) => {
      const opened = tap === undefined ? open : () => tap.stream(open(tap.headers));
      const ending = tap?.ending();
      return callObservable<Res>(opened, input, options, this.options.requestHighWaterMark, ending);
    });
  }

  /** `make`'s call, reported to telemetry (the tap carries its headers and counts its sends). */
  private observed<Res>(
    service: string,
    descriptor: TTStreamMethodLike,
    options: TTStreamCallOptions = {},
    make: (tap: ClientCallTap | undefined) => Observable<Res>,
  ): Observable<Res> {
    if (this.telemetry === undefined) return make(undefined);
    const call = { service, descriptor, options };
    return observedClientCall(this.telemetry, this.options, call, make);
  }

  /** Starts a unary or oneway call over the ping-pong pool (for an Observable to call). */
  private unary<Res>(
    service: string,
    descriptor: TTStreamMethodLike,
    data: unknown,
    options: TTStreamCallOptions = {},
    metadata?: Record<string, string>,
    tap?: ClientCallTap,
  ): () => PingPongCall<Res> {
    return () => {
      const method = unaryDescriptor(service, descriptor);
      const defaults = {
        headers: this.options.defaultHeaders,
        timeoutMs: this.options.defaultTimeoutMs,
      };
      const added = tap === undefined ? metadata : mergedRecords(tap.headers, metadata);
      const callOptions = pingPongCallOptions(options, defaults, added);
      const args = payloadToArgs(method, data);
      const call = this.ensurePingPong().startCall<Res>(service, method, args, callOptions);
      return tap === undefined ? call : tap.unary(call);
    };
  }

  private lookup(pattern: unknown): { service: string; descriptor: TTStreamMethodLike } | Error {
    try {
      const { service, method } = splitPattern(String(pattern));
      return { service, descriptor: this.method(service, method) };
    } catch (error) {
      return error as Error;
    }
  }

  private method(service: string, method: string): TTStreamMethodLike {
    const found = findIdlMethod(this.idl, service, method);
    if (found instanceof Error) throw new TypeError(`TTStreamClient: ${found.message}`);
    return found;
  }

  private ensurePingPong(): PingPongClientTransport | BalancedPingPongTransport {
    if (this.pingPong === undefined) {
      const { pingPongOptions, transportOptions, serviceName } = this.options;
      const transport = discovery.usesDiscovery(this.options)
        ? this.balancedTransports().pingPong
        : new PingPongClientTransport(this.address(), {
            ...pingPongOptions,
            dialTimeoutMs: pingPongOptions?.dialTimeoutMs ?? transportOptions?.dialTimeoutMs,
            serviceName,
            exceptionClasses: this.exceptionClasses,
          });
      this.watch(transport, () => this.pingPong === transport);
      this.pingPong = transport;
    }
    return this.pingPong;
  }

  private address(): TransportAddress {
    return { host: this.options.host ?? '127.0.0.1', port: this.options.port ?? 8888 };
  }

  private balancedTransports(): discovery.BalancedTransports {
    const { options, log, exceptionClasses } = this;
    return (this.balanced ??= discovery.createBalancedTransports(options, log, exceptionClasses));
  }

  private ensureTransport(): TTStreamClientTransport | BalancedStreamTransport {
    if (this.transport === undefined) {
      const transport = discovery.usesDiscovery(this.options)
        ? this.balancedTransports().stream
        : new TTStreamClientTransport(this.address(), {
            ...this.options.transportOptions,
            serviceName: this.options.serviceName,
          });
      this.watch(transport, () => this.transport === transport);
      this.transport = transport;
    }
    return this.transport;
  }

  /** Status and logging of a transport; `isCurrent` false once close() dropped it. */
  private watch(
    transport: NonNullable<TTStreamClient['transport'] | TTStreamClient['pingPong']>,
    isCurrent: () => boolean,
  ): void {
    const peer =
      'target' in transport ? `service '${transport.service}'` : formatAddress(transport.address);
    // A dial still under way when close() ran must not flip the status back.
    (transport as TTStreamClientTransport).on('connect', (socket) => {
      // Reported as the server reports the connections it accepts.
      observeConnection(this.telemetry?.hub, socket, 'client');
      if (isCurrent()) this._status$.next('connected');
    });
    (transport as TTStreamClientTransport).on('error', (error) => {
      this.log.warn(`Connection to ${peer} failed: ${error.message}`);
    });
  }
}

function noop(): void {}
