import { EventEmitter } from 'node:events';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { from, isObservable, takeLast } from 'rxjs';
import { ApplicationException, TApplicationExceptionType } from '../errors/index.js';
import { type StreamMode, TTSTREAM_TRANSPORT } from '../nest-constants.js';
import { resolveLog, type TTStreamLog } from '../logging/ttstream-logger.js';
import { formatAddress } from '../transport/index.js';
import { setCallPacing } from './call-pacing.js';
import { filteredErrorToFailure, isNestUnknownError } from './handler-error-to-failure.js';
import {
  capturedHandlerError,
  hiddenHandlerError,
  reportFailureAs,
} from './handler-error-store.js';
import { captureErrorsHiddenByNest } from './nest-filter-capture.js';
import { findIdlMethod, type TTStreamMethodLike } from './idl-descriptor.js';
import { requestObservable } from './request-observable.js';
import { resolveIdl } from './resolve-idl.js';
import { type ServerBinding } from './server-binding.js';
import { matchUnaryHandlers } from './unary-methods.js';
import { type ServerCall } from './server-call.js';
import { createTransportBinding } from './transport-binding.js';
import { TTStreamContext } from './ttstream.context.js';
import {
  DEFAULT_GRACEFUL_SHUTDOWN_MS,
  type TTStreamServerOptions,
} from './ttstream-server-options.interface.js';
import { OutboundPressure } from './outbound-pressure.js';
import { resolveTelemetry, type TelemetryHub } from '../telemetry/telemetry-hub.js';
import { observeConnection } from './observed-connection.js';
import { serveObserved } from './observed-serve.js';
import { goPackageName } from '../telemetry/go-package-name.js';
import { RegistryLifecycle } from './registry-lifecycle.js';
import { DEFAULT_OUTBOUND_HIGH_WATER_MARK, writeResult } from './write-result.js';
import { isPulledSource } from './pulled-observable.js';

/** Status values of {@link TTStreamServer}. */
export type TTStreamServerStatus = 'listening' | 'closing' | 'closed';

/** Events of {@link TTStreamServer} (`app.on(...)` / `server.on(...)`). */
export interface TTStreamServerEvents {
  /** A transport-level failure (a connection error, a handler that failed after its stream). */
  error: (error: Error) => void;
  /** A client connected (the transport's connection object). */
  connection: (socket: unknown) => void;
  /** A stream reached a handler. */
  'stream:open': (context: TTStreamContext) => void;
  /** A stream's handler finished; `error` is the failure it ended with, if any. */
  'stream:close': (context: TTStreamContext, error: unknown) => void;
  // Index signature required by Nest's `Server<EventsMap>` constraint.
  [event: string]: (...args: never[]) => void;
}

interface StreamExtras {
  readonly ttstream?: {
    readonly service: string;
    readonly method: string;
    readonly mode?: StreamMode;
  };
}

/**
 * A Nest microservice transport that serves CloudWeGo Kitex TTHeader Streaming methods with
 * `@StreamPattern` handlers:
 *
 * ```ts
 * const app = await NestFactory.createMicroservice(AppModule, {
 *   strategy: new TTStreamServer({ idl: await loadThriftIdl('echo.thrift'), port: 8888 }),
 * });
 * await app.listen();
 * ```
 *
 * Each IDL method with a handler is served in its IDL mode; an IDL method without one answers
 * UnknownMethod. `listen` fails when a handler names a method the IDL lacks or asks for another
 * mode. A handler's failure ends the stream as `handlerErrorToFailure` describes.
 */
export class TTStreamServer
  extends Server<TTStreamServerEvents, TTStreamServerStatus>
  implements CustomTransportStrategy
{
  override transportId = TTSTREAM_TRANSPORT;
  private binding: ServerBinding | undefined;
  private readonly events = new EventEmitter();
  private readonly log: TTStreamLog;
  private registration: RegistryLifecycle | undefined;
  private readonly telemetry: TelemetryHub | undefined;
  private idlPackage: string | undefined;

  constructor(private readonly options: TTStreamServerOptions) {
    super();
    this.log = resolveLog(options.logger, 'TTStreamServer');
    this.events.on('error', () => undefined);
    this.telemetry = resolveTelemetry(options.telemetry, (error) => {
      this.log.warn(`A telemetry plug-in failed (skipped for this RPC): ${String(error)}`);
    });
  }

  /** Checks the handlers against the IDL, binds the socket, then calls `callback`. */
  async listen(callback: (error?: unknown, ...info: unknown[]) => void): Promise<void> {
    try {
      const binding = this.createBinding();
      this.registerMethods(binding);
      binding.on('error', (error, peer) => {
        this.log.warn(`${peer === undefined ? '' : `${peer}: `}${error.message}`);
        this.events.emit('error', error);
      });
      binding.on('connection', (socket) => {
        observeConnection(this.telemetry, socket);
        this.events.emit('connection', socket);
      });
      await binding.listen();
      this.binding = binding;
      this._status$.next('listening');
      const bound = binding.address();
      const where =
        bound === undefined ? 'a socket' : formatAddress({ host: bound.address, port: bound.port });
      this.log.log(`Listening on ${where}`);
      if (this.options.registry !== undefined && bound !== undefined) {
        this.registration = new RegistryLifecycle(this.options.registry, this.log);
        await this.registration.afterListen(bound);
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops accepting, lets in-flight streams finish (grace period), then closes. */
  async close(): Promise<void> {
    const binding = this.binding;
    if (binding === undefined) return;
    this.binding = undefined;
    this._status$.next('closing');
    // Deregister first, so that clients stop choosing this server before it drains.
    await this.registration?.beforeDrain();
    this.registration = undefined;
    const grace = this.options.gracefulShutdownMs ?? DEFAULT_GRACEFUL_SHUTDOWN_MS;
    this.log.log(`Closing: no new streams; in-flight streams have ${grace} ms to finish`);
    await binding.close();
    this._status$.next('closed');
    this.log.log('Closed');
  }

  /** Subscribes to a server event: `error`, `connection`, `stream:open`, `stream:close`. */
  on<K extends keyof TTStreamServerEvents>(event: K, callback: TTStreamServerEvents[K]): void {
    this.events.on(event as string, callback as (...args: unknown[]) => void);
  }

  /** The transport server (`TTStreamServerTransport`). Throws before `listen`. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- Nest's signature
  unwrap<T>(): T {
    if (this.binding === undefined) {
      throw new Error('TTStreamServer is not listening: call listen() first');
    }
    return this.binding.unwrap() as T;
  }

  /** The bound address, once listening (useful with port 0). */
  address(): { readonly address: string; readonly port: number } | undefined {
    return this.binding?.address();
  }

  private createBinding(): ServerBinding {
    return (this.options.createBinding ?? createTransportBinding)(this.options);
  }

  private registerMethods(binding: ServerBinding): void {
    if (this.telemetry !== undefined) captureErrorsHiddenByNest();
    const idl = resolveIdl(this.options.idl, this.options.includeDirs);
    this.idlPackage = goPackageName(idl);
    const routes = new Map<string, MessageHandler>();
    const problems: string[] = [];
    const untagged: [string, MessageHandler][] = [];
    for (const [pattern, handler] of this.getHandlers()) {
      const meta = (handler.extras as StreamExtras | undefined)?.ttstream;
      if (meta === undefined) {
        untagged.push([pattern, handler]);
        continue;
      }
      const method = findIdlMethod(idl, meta.service, meta.method);
      if (method instanceof Error) {
        problems.push(`@StreamPattern('${pattern}'): ${method.message}`);
      } else if (method.mode === 'unary') {
        problems.push(
          `@StreamPattern('${pattern}'): ${pattern} is a unary method; TTHeader Streaming serves streaming methods only`,
        );
      } else if (meta.mode !== undefined && meta.mode !== method.mode) {
        problems.push(
          `@StreamPattern('${pattern}', { mode: '${meta.mode}' }): the IDL declares ${pattern} as '${method.mode}'`,
        );
      } else {
        routes.set(`${meta.service}.${meta.method}`, handler);
      }
    }
    const unary = matchUnaryHandlers(idl, untagged);
    problems.push(...unary.problems);
    if (unary.bindings.length > 0 && binding.registerUnary === undefined) {
      problems.push(
        'this binding serves streaming methods only (no @MessagePattern/@EventPattern)',
      );
    }
    if (problems.length > 0) {
      throw new Error(`TTStreamServer cannot listen:\n  ${problems.join('\n  ')}`);
    }
    for (const pattern of unary.ignored) {
      this.log.debug(`${pattern}: no IDL service of that name; handler left to other transports`);
    }
    for (const { service, method, handler } of unary.bindings) {
      binding.registerUnary?.({
        service,
        method: method.name,
        oneway: method.oneway === true,
        descriptor: method,
        handler: (call) => this.serve(handler, method, call),
      });
    }
    for (const service of idl.services.values()) {
      for (const method of service.methods.values()) {
        if (method.mode === 'unary') continue;
        const handler = routes.get(`${service.name}.${method.name}`);
        binding.register({
          service: service.name,
          method: method.name,
          mode: method.mode,
          requestCodec: method.requestCodec,
          responseCodec: method.responseCodec,
          handler:
            handler === undefined
              ? (call) => Promise.reject(unknownMethod(call))
              : (call) => this.serve(handler, method, call),
        });
      }
    }
  }

  private serve(
    handler: MessageHandler,
    method: TTStreamMethodLike,
    call: ServerCall,
  ): Promise<void> {
    // Without telemetry, nothing is built per call.
    if (this.telemetry === undefined) return this.serveCall(handler, method, call);
    const kind = (method as { oneway?: boolean }).oneway === true ? 'oneway' : method.mode;
    const described = {
      kind,
      idlPackage: this.idlPackage,
      localService: this.options.registry?.serviceName,
    } as const;
    return serveObserved(this.telemetry, call, described, (observed) =>
      this.serveCall(handler, method, observed),
    );
  }

  private async serveCall(
    handler: MessageHandler,
    method: TTStreamMethodLike,
    call: ServerCall,
  ): Promise<void> {
    const context = new TTStreamContext(call);
    this.events.emit('stream:open', context);
    let outcome: unknown;
    const run = async (): Promise<void> => {
      try {
        await this.runHandler(handler, method.mode, call, context);
      } catch (error) {
        outcome = error;
        throw error;
      } finally {
        this.events.emit('stream:close', context, outcome);
      }
    };
    // Nest 11's Server has no processing hooks: the stream just runs.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- absent on Nest 11
    if (this.runWithProcessingHooks === undefined) return run();
    // The processing hooks (tracing) wrap the whole stream. The function given to them never
    // rejects (a hook that drops `done()`'s promise must not cause an unhandled rejection); the
    // stream's outcome travels through this promise instead.
    await new Promise<void>((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-confusing-void-expression -- typed void, returns the hook's promise
      const hooked: unknown = this.runWithProcessingHooks(context, (runEndHook) =>
        run().finally(runEndHook).then(resolve, reject),
      );
      // A start hook that fails before calling `done()`.
      if (hooked instanceof Promise) hooked.catch(reject);
    });
  }

  private async runHandler(
    handler: MessageHandler,
    mode: StreamMode,
    call: ServerCall,
    context: TTStreamContext,
  ): Promise<void> {
    const streaming = mode === 'client' || mode === 'bidirectional';
    const highWaterMark = this.options.outboundHighWaterMark ?? DEFAULT_OUTBOUND_HIGH_WATER_MARK;
    const pressure = new OutboundPressure(Math.max(1, Math.floor(highWaterMark / 2)));
    setCallPacing(context, pressure);
    const payload = streaming ? requestObservable(call, pressure) : await firstRequest(call);
    let result: unknown = await handler(payload, context);
    if (mode === 'client' || mode === 'unary') result = lastOnly(result);
    try {
      await writeResult(result, call, highWaterMark, pressure);
      context.runFinishCallbacks();
    } catch (error) {
      context.runFinishCallbacks();
      if (call.signal.aborted) throw call.signal.reason;
      const original = capturedHandlerError(context);
      const failure = filteredErrorToFailure(error, original, this.options.exceptionMapping);
      // Spans show the handler's own error, even one Nest's default filter hid from the client.
      if (this.telemetry !== undefined) {
        reportFailureAs(failure, (original ?? hiddenHandlerError(context))?.error);
      }
      // Nest's default filter has already logged what it replaced with `Internal server error`.
      if (failure instanceof ApplicationException && !isNestUnknownError(error)) {
        const cause = original?.error ?? failure.cause ?? error;
        this.log.error(
          `${context.getPattern()} (stream ${context.getStreamId()}) failed: ${failure.applicationMessage}`,
          cause instanceof Error ? cause.stack : undefined,
        );
      }
      throw failure;
    }
  }
}

async function firstRequest(call: ServerCall): Promise<unknown> {
  // Not `for await`: leaving that loop would end the stream's receive side.
  const first = await call[Symbol.asyncIterator]().next();
  if (first.done !== true) return first.value;
  throw new ApplicationException(
    TApplicationExceptionType.ProtocolError,
    `${call.service}.${call.method}: the client sent no request`,
    { side: 'server' },
  );
}

function lastOnly(result: unknown): unknown {
  if (isObservable(result)) return result.pipe(takeLast(1));
  if (isPulledSource(result)) return from(result).pipe(takeLast(1));
  return result;
}

function unknownMethod(call: ServerCall): ApplicationException {
  return new ApplicationException(
    TApplicationExceptionType.UnknownMethod,
    `unknown method ${call.method}`,
    { side: 'server' },
  );
}
