/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters --
   `Res`/`T` type the Observables and stubs callers get, as in Nest's ClientGrpc. */
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { isObservable, type Observable, of, throwError } from 'rxjs';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { resolveLog, type TTStreamLog } from '../logging/ttstream-logger.js';
import { type StreamMode } from '../nest-constants.js';
import {
  findIdlMethod,
  type TTStreamIdlLike,
  type TTStreamMethodLike,
} from '../server/idl-descriptor.js';
import { resolveIdl } from '../server/resolve-idl.js';
import { formatAddress, TTStreamClientTransport } from '../transport/index.js';
import { noteClientCreated } from '../transport/stream-scope.js';
import { type MessageCodec } from '../thrift/index.js';
import { callObservable, type CallInput, type CallStream } from './client-call.js';
import { createServiceStub } from './service-stub.js';
import { type TTStreamCallOptions } from './ttstream-call-options.interface.js';
import { type TTStreamClientOptions } from './ttstream-client-options.interface.js';

/** Status values of {@link TTStreamClient}. */
export type TTStreamClientStatus = 'connected' | 'disconnected';

/**
 * A Nest client proxy for Kitex TTHeader Streaming servers. Register it with
 * `ClientsModule.register([{ name: 'ECHO', customClass: TTStreamClient, options: { idl, port } }])`
 * (closed on application shutdown), or create it directly.
 *
 * Every call is a cold Observable: subscribing opens a stream, unsubscribing before its end
 * cancels it (RST). Failures arrive as `BizStatusError`, `ApplicationException` or
 * `TTStreamError`, with Kitex's codes and texts. A call made inside a `@StreamPattern` handler is
 * cancelled with that handler's stream.
 */
// No type arguments: `ClientsModule`'s `customClass` expects `Type<ClientProxy>` exactly, and
// the status subject makes its type parameters invariant. It has no events (`on()` throws).
export class TTStreamClient extends ClientProxy {
  private transport: TTStreamClientTransport | undefined;
  private readonly idl: TTStreamIdlLike;
  private readonly log: TTStreamLog;

  /** @throws TypeError without `options.idl`; ThriftIdlError when an IDL path cannot be loaded. */
  constructor(private readonly options: TTStreamClientOptions) {
    super();
    if (typeof options !== 'object' || (options.idl as unknown) == null) {
      throw new TypeError('TTStreamClient needs options.idl (a loaded IDL or a .thrift path)');
    }
    this.idl = resolveIdl(options.idl, options.includeDirs);
    this.log = resolveLog(options.logger, 'TTStreamClient');
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

  /** Closes every connection; calls still open fail with 12006. */
  async close(): Promise<void> {
    const transport = this.transport;
    if (transport === undefined) return;
    this.transport = undefined;
    await transport.close();
    this._status$.next('disconnected');
  }

  /** The underlying `TTStreamClientTransport`. Throws before the first `connect` or call. */
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
   * Typed stubs of an IDL service, like `ClientGrpc.getService`: one function per method, under
   * its IDL name and its camelCase name. Server-streaming (and unary) methods take
   * `(request, options?)`; client and bidirectional ones `(requests$, options?)`. All return cold
   * Observables.
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
      const pattern = typeof packet.pattern === 'string' ? packet.pattern : String(packet.pattern);
      const { service, method } = splitPattern(pattern);
      const descriptor = this.method(service, method);
      const data: unknown = packet.data;
      const many = isObservable(data) || isAsyncIterable(data);
      const streaming = descriptor.mode === 'client' || descriptor.mode === 'bidirectional';
      const input: CallInput = many
        ? { kind: 'many', requests: data }
        : streaming
          ? { kind: 'many', requests: of(data) }
          : { kind: 'one', request: data };
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

  /** TTHeader Streaming has no fire-and-forget messages: `emit()` always fails. */
  protected dispatchEvent(packet: ReadPacket): Promise<never> {
    return Promise.reject(
      new TTStreamError(TTStreamErrorCode.IllegalOperation, {
        side: 'client',
        detail: `TTHeader Streaming has no events: use send('${String(packet.pattern)}', data) or a stream method`,
      }),
    );
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
      return throwError(
        () =>
          new TypeError(
            `TTStreamClient: ${service}.${descriptor.name} is a unary method; TTHeader Streaming calls streaming methods only`,
          ),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    const headers = { ...this.options.defaultHeaders, ...options.headers };
    const open = (): CallStream =>
      this.ensureTransport().openStream(
        {
          service,
          method: descriptor.name,
          requestCodec: descriptor.requestCodec as MessageCodec<unknown>,
          responseCodec: descriptor.responseCodec as MessageCodec<unknown>,
        },
        {
          headers,
          metainfo: options.metainfo,
          timeoutMs,
          recvTimeoutMs: options.recvTimeoutMs,
          signal: options.signal,
        },
      );
    return callObservable<Res>(open, input, options, this.options.requestHighWaterMark);
  }

  private method(service: string, method: string): TTStreamMethodLike {
    const found = findIdlMethod(this.idl, service, method);
    if (found instanceof Error) throw new TypeError(`TTStreamClient: ${found.message}`);
    return found;
  }

  private ensureTransport(): TTStreamClientTransport {
    if (this.transport === undefined) {
      const transport = new TTStreamClientTransport(
        { host: this.options.host ?? '127.0.0.1', port: this.options.port ?? 8888 },
        { ...this.options.transportOptions, serviceName: this.options.serviceName },
      );
      const peer = formatAddress(transport.address);
      // A dial still under way when close() ran must not flip the status back.
      transport.on('connect', () => {
        if (this.transport === transport) this._status$.next('connected');
      });
      transport.on('error', (error) => {
        this.log.warn(`Connection to ${peer} failed: ${error.message}`);
      });
      this.transport = transport;
    }
    return this.transport;
  }
}

function splitPattern(pattern: string): { service: string; method: string } {
  const dot = pattern.lastIndexOf('.');
  if (dot <= 0) throw new TypeError(`TTStreamClient: expected 'Service.Method', got '${pattern}'`);
  return { service: pattern.slice(0, dot), method: pattern.slice(dot + 1) };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}

function noop(): void {}
