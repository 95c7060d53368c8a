import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TApplicationExceptionType, TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import type { Frame } from '../protocol/frame.js';
import { FrameType } from '../protocol/frame-type.js';
import { HEADER_IDL_SERVICE_NAME } from '../protocol/header-keys.js';
import { formatAddress, isUnixAddress, type TransportAddress } from './address.js';
import { debug } from './debug.js';
import { exceptionPayload } from './error-to-trailer.js';
import { outFrame } from './out-frame.js';
import { ServerConnection, type ServerConnectionOwner } from './server-connection.js';
import {
  isResolvedRoute,
  ServerRouter,
  type StreamHandler,
  type StreamRoute,
} from './server-router.js';
import {
  ServerStream,
  serverStreamRoute,
  type ServerStreamRoute,
  type ServerStreamSettings,
} from './server-stream.js';
import { shouldCascade, streamScope } from './stream-scope.js';
import { describeValue } from './to-error.js';
import {
  DEFAULT_SHUTDOWN_FLUSH_MS,
  DEFAULT_FIRST_FRAME_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_STREAMS,
} from './server-limits.js';
import { oversizeFrameError } from './oversize-frame.js';
import { sniffConnection } from './connection-sniffer.js';
import type { ServerTransportOptions } from './server-transport-options.js';
import { UnaryServer, unaryServerOptions } from './unary-server.js';
import type { UnaryRoute } from './unary-route.js';

export type { ServerTransportOptions } from './server-transport-options.js';

/** The listen backlog (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

export { DEFAULT_MAX_CALLS_PER_CONNECTION } from './server-limits.js';

const noop = (): void => undefined;

/** Events of {@link TTStreamServerTransport}. */
export interface ServerTransportEvents {
  /** A client connected (the accepted socket). */
  connection: [socket: Socket];
  /**
   * A listener or connection failure (socket error, bad bytes from a peer), with the peer's
   * `host:port` when a connection failed. Emitted only while someone listens, so an unobserved
   * error never throws.
   */
  error: [error: Error, peer: string | undefined];
}

/** Counts for monitoring and leak tests. */
export interface ServerTransportStats {
  /** Open connections: ttstream, ping-pong, and those whose first bytes are awaited. */
  readonly connections: number;
  /** Connections accepted since `listen` (cumulative). */
  readonly acceptedConnections: number;
  /** Registered streams (not yet ended by trailer, RST or close). */
  readonly streams: number;
  /** Handlers still running (they may outlive their stream). */
  readonly handlers: number;
  /** Frames of unknown types skipped. */
  readonly skippedFrames: number;
  /** Connections whose reading is paused (their streams buffer too much). */
  readonly pausedConnections: number;
  /** Unary and oneway calls being handled. */
  readonly calls: number;
}

/** A registered method: its handler and the route object its streams share. */
interface RegisteredMethod {
  readonly handler: StreamHandler<unknown, unknown>;
  readonly route: ServerStreamRoute<unknown, unknown>;
}

/**
 * The server side of TTHeader Streaming: accepts connections, routes client HEADERs by `isn` and
 * method to registered handlers, and translates handler outcomes into TRAILERs.
 */
export class TTStreamServerTransport
  extends EventEmitter<ServerTransportEvents>
  implements ServerConnectionOwner
{
  private readonly router = new ServerRouter<RegisteredMethod>();
  /** One settings object for every stream. */
  private readonly streamSettings: ServerStreamSettings;
  private readonly connections = new Set<ServerConnection>();
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private handlers = 0;
  /** Streams registered on all connections (kept as a count: summing per HEADER is O(connections)). */
  private liveStreams = 0;
  private accepted = 0;
  private skippedClosed = 0;
  private readonly handlersIdle: (() => void)[] = [];
  private readonly unary: UnaryServer;
  /** Accepted sockets whose first bytes are awaited (shutdown closes them). */
  private readonly sniffing = new Set<Socket>();

  constructor(private readonly options: ServerTransportOptions = {}) {
    super();
    this.unary = new UnaryServer(unaryServerOptions(options), (error, c) => {
      this.reportError(error, peerOf(c));
    });
    this.streamSettings = {
      recvBuffer: options.recvBuffer,
      sendBuffer: options.sendBuffer,
      hideErrorMessages: options.hideErrorMessages,
      mapError: options.mapError,
    };
  }

  /** Registers the handler of `service.method`. */
  register<Req, Res>(service: string, method: string, route: StreamRoute<Req, Res>): void {
    const { mode, requestCodec, responseCodec, handler } = route;
    this.router.register(service, method, {
      handler: handler as StreamHandler<unknown, unknown>,
      route: serverStreamRoute(service, method, mode, requestCodec, responseCodec),
    });
  }

  /** Registers the handler of the unary or oneway method `service.method` (ping-pong calls). */
  registerUnary(service: string, method: string, route: UnaryRoute): void {
    this.unary.register(service, method, route);
  }

  /** Starts listening; resolves with the bound address (the real port when `port` is 0). */
  async listen(address: TransportAddress): Promise<TransportAddress> {
    if (this.server !== undefined) throw new Error('already listening');
    // Half-open allowed: a ping-pong client that half-closes after its requests still gets
    // the replies; ttstream connections end themselves when their peer does.
    const server = createServer(
      { keepAlive: true, noDelay: true, allowHalfOpen: true },
      (socket) => {
        this.onSocket(socket);
      },
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.removeListener('error', reject);
        resolve();
      };
      // A deep accept queue, as Go's listener takes (somaxconn): a Kitex client bursting one
      // connection per unary call with a 50 ms dial timeout overflows Node's default of 511.
      if (isUnixAddress(address)) server.listen(address.path, LISTEN_BACKLOG, done);
      else server.listen(address.port, address.host, LISTEN_BACKLOG, done);
    });
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      const host = data?.remoteAddress;
      const peer =
        host === undefined ? undefined : formatAddress({ host, port: data?.remotePort ?? 0 });
      this.reportError(
        new Error(`connection refused: ${server.maxConnections} connections open (maxConnections)`),
        peer,
      );
    });
    server.on('error', (error) => {
      debug('server error: %s', error.message);
      this.reportError(error);
    });
    if (isUnixAddress(address)) return { path: address.path };
    const bound = server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  /** Counts of connections, streams and running handlers. */
  stats(): ServerTransportStats {
    let streams = 0;
    let skipped = this.skippedClosed;
    let paused = 0;
    for (const c of this.connections) {
      streams += c.streamCount;
      skipped += c.connection.skippedFrames;
      if (c.connection.isPaused) paused++;
    }
    const unary = this.unary.stats();
    return {
      connections: this.connections.size + unary.connections + this.sniffing.size,
      acceptedConnections: this.accepted,
      streams,
      handlers: this.handlers,
      skippedFrames: skipped,
      pausedConnections: paused,
      calls: unary.calls,
    };
  }

  /**
   * Graceful shutdown: stop accepting, answer new streams with an "is
   * shutting down" exception, let running streams finish for `gracePeriodMs`, then reset the rest
   * (RST, handlers aborted with 12013) and close every connection after flushing.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    const stopped = new Promise<void>((resolve) => {
      if (server === undefined) resolve();
      else
        server.close(() => {
          resolve();
        });
    });
    for (const c of this.connections) if (c.streamCount === 0) void c.end(this.shutdownFlushMs);
    // A connection that has sent nothing yet carries no call to finish.
    for (const socket of this.sniffing) socket.destroy();
    this.unary.drain();
    const grace = this.options.gracePeriodMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.whenNoStreams(), this.unary.whenIdle()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, grace);
      }),
    ]);
    clearTimeout(timer);
    // No side tag, as Kitex's 12013 text has none.
    const shutdownError = new TTStreamError(TTStreamErrorCode.CanceledByConnectionClose, {
      detail: 'server is shutting down',
    });
    for (const c of this.connections) {
      for (const stream of [...c.streams()]) stream.reset(shutdownError);
    }
    // A slow reader still gets its RSTs (and replies): queued DATA of reset streams was dropped,
    // and what the socket already holds may take a while to drain.
    await Promise.all([
      ...[...this.connections].map((c) => c.end(this.shutdownFlushMs)),
      this.unary.endAll(this.shutdownFlushMs, shutdownError),
    ]);
    await stopped;
  }

  private get shutdownFlushMs(): number {
    return this.options.shutdownFlushMs ?? DEFAULT_SHUTDOWN_FLUSH_MS;
  }

  private whenNoStreams(): Promise<void> {
    if (this.stats().streams === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.handlersIdle.push(resolve);
    });
  }

  private onSocket(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    this.accepted++;
    this.emit('connection', socket);
    const firstFrameMs = this.options.firstFrameTimeoutMs ?? DEFAULT_FIRST_FRAME_TIMEOUT_MS;
    this.sniffing.add(socket);
    socket.once('close', () => {
      this.sniffing.delete(socket);
    });
    sniffConnection(
      socket,
      firstFrameMs,
      (kind) => {
        this.sniffing.delete(socket);
        // Shutdown began while the first bytes were awaited: no new connection.
        if (this.closing !== undefined) socket.destroy();
        else if (kind === 'pingpong') this.unary.accept(socket);
        else this.acceptStreaming(socket, firstFrameMs);
        socket.resume();
      },
      (error) => {
        this.reportError(error, peerOf(socket));
      },
    );
  }

  private acceptStreaming(socket: Socket, firstFrameMs: number): void {
    const connection = new ServerConnection(socket, this, {
      idleTimeoutMs: this.options.idleTimeoutMs ?? 600_000,
      maxFrameBytes: this.options.maxFrameBytes,
      maxConnectionBufferBytes: this.options.maxConnectionBufferBytes,
      writeHighWaterMark: this.options.writeHighWaterMark,
      maxHeaderKeys: this.options.maxHeaderKeys,
      maxHeaderBytes: this.options.maxHeaderBytes,
      frameTimeoutMs: this.options.frameTimeoutMs,
      firstFrameTimeoutMs: firstFrameMs,
    });
    this.connections.add(connection);
  }

  /** @internal */
  onStreamHeader(connection: ServerConnection, frame: Frame): void {
    if (this.closing !== undefined) {
      refuse(connection, frame, TApplicationExceptionType.InternalError, 'server is shutting down');
      return;
    }
    if (frame.oversize !== undefined) {
      const { detail } = oversizeFrameError('server', frame, connection.connection.maxFrameBytes);
      refuse(connection, frame, TApplicationExceptionType.ProtocolError, detail);
      return;
    }
    const max = this.options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS;
    const maxStreams = this.options.maxStreams ?? DEFAULT_MAX_STREAMS;
    if (connection.streamCount >= max || this.liveStreams >= maxStreams) {
      const message =
        connection.streamCount >= max
          ? `too many concurrent streams (limit ${max})`
          : `too many concurrent streams on the server (limit ${maxStreams})`;
      refuse(connection, frame, TApplicationExceptionType.InternalError, message);
      return;
    }
    const found = this.router.resolve(
      frame.strHeaders.get(HEADER_IDL_SERVICE_NAME) ?? '',
      frame.method,
    );
    if (!isResolvedRoute(found)) {
      debug('server: %s', found.message);
      refuse(connection, frame, found.typeId, found.message);
      return;
    }
    const { handler, route } = found.route;
    const stream = new ServerStream(frame, route, this.streamSettings, connection);
    const replaced = connection.add(stream as unknown as ServerStream<never, never>);
    if (replaced === undefined) this.liveStreams++;
    else {
      // A HEADER reusing an open stream id: the old stream is reset (12002) silently.
      replaced.reset(
        new TTStreamError(TTStreamErrorCode.UnexpectedHeader, {
          side: 'server',
          detail: 'a new HEADER reused the stream id',
        }),
        false,
      );
    }
    stream.start();
    this.handlers++;
    // The handler is called directly (no async wrapper: one async-function state less per
    // stream); a synchronous throw counts as a rejection.
    let outcome: unknown;
    try {
      outcome = shouldCascade(this.options.cascade)
        ? streamScope.run(stream, handler, stream)
        : handler(stream);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as is
      outcome = Promise.reject(error);
    }
    Promise.resolve(outcome).then(
      () => {
        this.onHandlerDone(stream, undefined);
      },
      (error: unknown) => {
        this.onHandlerDone(stream, error);
      },
    );
  }

  private onHandlerDone(stream: ServerStream<unknown, unknown>, error: unknown): void {
    this.handlers--;
    stream.finish(error);
    if (error !== undefined)
      debug('handler %s.%s failed: %s', stream.service, stream.method, describeValue(error));
  }

  /** @internal */
  onConnectionClose(connection: ServerConnection, error: unknown): void {
    if (error instanceof Error) this.reportError(error, peerOf(connection));
    this.skippedClosed += connection.connection.skippedFrames;
    this.connections.delete(connection);
    this.notifyIfNoStreams();
  }

  /** @internal */
  streamsEnded(count: number): void {
    this.liveStreams -= count;
  }

  /** @internal */
  onConnectionIdle(connection: ServerConnection): void {
    if (this.closing !== undefined) void connection.end(this.shutdownFlushMs);
    this.notifyIfNoStreams();
  }

  private reportError(error: Error, peer?: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, peer);
  }

  private notifyIfNoStreams(): void {
    if (this.handlersIdle.length === 0 || this.stats().streams > 0) return;
    for (const resolve of this.handlersIdle.splice(0)) resolve();
  }
}

/** Answers a HEADER that opens no stream: a HEADER, then a TRAILER carrying the exception. */
function refuse(connection: ServerConnection, frame: Frame, typeId: number, message: string): void {
  const { streamId, method } = frame;
  connection.write(outFrame(FrameType.Header, streamId, method, undefined)).catch(noop);
  const payload = exceptionPayload({ streamId, method }, typeId, message);
  connection.write(outFrame(FrameType.Trailer, streamId, method, payload)).catch(noop);
}

function peerOf(connection: {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}): string | undefined {
  const { remoteAddress: host, remotePort: port } = connection;
  return host === undefined ? undefined : formatAddress({ host, port: port ?? 0 });
}
