import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import type { TransportAddress } from './address.js';
import { ClientStream, type OpenStreamOptions, type StreamCall } from './client-stream.js';
import { createPool, type ConnectionPool, type PoolMode } from './connection-pool.js';
import type { RecvBufferLimits } from './recv-buffer.js';
import type { SendBufferLimits } from './send-limiter.js';
import { nextStreamId } from './stream-id.js';
import { currentParentStream, noteClientCreated } from './stream-scope.js';

/** Options of {@link TTStreamClientTransport}. */
export interface ClientTransportOptions {
  /** `mux` (default): `poolSize` shared connections; `long`: one stream per connection at a time, reused; `short`: one connection per stream. */
  readonly pool?: PoolMode;
  /** Mux connections per address. Default `os.availableParallelism()`, like Kitex's GOMAXPROCS. */
  readonly poolSize?: number;
  /** Dial timeout. Default 1000 ms (Kitex's fixed value). */
  readonly dialTimeoutMs?: number;
  /** Own service name: the `ttscp` cancel path of RSTs this client sends. Default none. */
  readonly serviceName?: string;
  /** Largest frame (LENGTH field) sent or accepted; a larger incoming frame resets its stream only. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** Per-stream receive buffer; a stream whose consumer falls behind is reset (12011). */
  readonly recvBuffer?: RecvBufferLimits;
  /** Per-stream limit on sends not yet accepted by the socket. */
  readonly sendBuffer?: SendBufferLimits;
  /** Received bytes buffered per connection before reading pauses. Default 64 MiB. */
  readonly maxConnectionBufferBytes?: number;
  /** Most key/value pairs in one received frame's header (more closes the connection, 12004). Default 4096. */
  readonly maxHeaderKeys?: number;
  /** Most header info bytes in one received frame, likewise. Default 128 KiB. */
  readonly maxHeaderBytes?: number;
  /**
   * Once a frame's first byte has arrived, how long the rest may take before the connection is
   * closed; 0 disables. Default 60 000 ms.
   */
  readonly frameTimeoutMs?: number;
  /**
   * Bytes queued for one connection (writer plus socket) below which `send()` resolves at once.
   * Default 256 KiB (`DEFAULT_WRITER_HIGH_WATER_MARK`).
   */
  readonly writeHighWaterMark?: number;
  /** Long pool: idle connections are closed after this. Default 60 000 ms. */
  readonly idleTimeoutMs?: number;
}

/** Events of {@link TTStreamClientTransport}. */
export interface ClientTransportEvents {
  /** A connection to the server was established (its socket). */
  connect: [socket: Socket];
  /**
   * A dial failed (refused, timed out) or a connection died of an error (reset, bad bytes from the
   * server): the 12006 or 12004 error its streams failed with. Clean closes are not reported.
   * Emitted only while someone listens, so an unobserved error never throws.
   */
  error: [error: TTStreamError];
}

/** Counts for monitoring and leak tests. */
export interface ClientTransportStats {
  /** Open connections. */
  readonly connections: number;
  /** Connections dialed since the transport was created (cumulative). */
  readonly dialedConnections: number;
  /** Open streams on all connections. */
  readonly streams: number;
  /** Open streams of each connection. */
  readonly streamsPerConnection: readonly number[];
  /** Connections whose reading is paused (their streams buffer too much). */
  readonly pausedConnections: number;
}

/**
 * The client side of TTHeader Streaming for one server address (host/port or unix socket).
 *
 * ```ts
 * const client = new TTStreamClientTransport({ host: '127.0.0.1', port }, { serviceName: 'A' });
 * const stream = client.openStream({ service: 'TestService', method: 'Echo', requestCodec, responseCodec });
 * await stream.send(req);
 * await stream.closeSend();
 * for await (const res of stream) console.log(res);
 * await client.close();
 * ```
 */
export class TTStreamClientTransport extends EventEmitter<ClientTransportEvents> {
  private readonly pool: ConnectionPool;
  private closed = false;
  private readonly serviceName: string;

  constructor(
    readonly address: TransportAddress,
    private readonly options: ClientTransportOptions = {},
  ) {
    super();
    noteClientCreated();
    this.serviceName = options.serviceName ?? '';
    this.pool = createPool(options.pool ?? 'mux', address, {
      poolSize: options.poolSize ?? availableParallelism(),
      dialTimeoutMs: options.dialTimeoutMs ?? 1000,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      maxFrameBytes: options.maxFrameBytes,
      maxConnectionBufferBytes: options.maxConnectionBufferBytes,
      writeHighWaterMark: options.writeHighWaterMark,
      maxHeaderKeys: options.maxHeaderKeys,
      maxHeaderBytes: options.maxHeaderBytes,
      frameTimeoutMs: options.frameTimeoutMs,
      onConnect: (connection) => {
        this.emit('connect', connection.connection.socket);
      },
      onConnectionError: (error) => {
        if (this.listenerCount('error') > 0) this.emit('error', error);
      },
    });
  }

  /**
   * Makes sure a connection to the server is established, dialing one if none is open or being
   * dialed (concurrent calls share it); the connection then serves the next streams. Rejects with
   * TTStreamError 12006 when the dial fails or exceeds `dialTimeoutMs`, or after {@link close}.
   */
  async connect(): Promise<void> {
    this.assertOpen();
    await this.pool.connect();
  }

  /**
   * Opens a stream at once: its HEADER is queued (dialing if needed) and the stream returned;
   * nothing waits for the server. Inside a server handler the new stream follows that handler's
   * stream (cascading cancel) unless `options.parent` is `null`.
   * @throws TTStreamError 12006 after {@link close}.
   */
  openStream<Req, Res>(
    call: StreamCall<Req, Res>,
    options: OpenStreamOptions = {},
  ): ClientStream<Req, Res> {
    this.assertOpen();
    const connection = this.pool.acquire();
    const stream = new ClientStream<Req, Res>(
      nextStreamId(),
      call,
      options,
      {
        serviceName: this.serviceName,
        recvBuffer: this.options.recvBuffer,
        sendBuffer: this.options.sendBuffer,
      },
      connection,
    );
    connection.add(stream as unknown as ClientStream<never, never>);
    const parent = options.parent === null ? undefined : (options.parent ?? currentParentStream());
    stream.open(parent);
    return stream;
  }

  /** Connection and stream counts. */
  stats(): ClientTransportStats {
    const connections = this.pool.connections();
    const streamsPerConnection = connections.map((c) => c.streamCount);
    return {
      connections: connections.length,
      dialedConnections: this.pool.dialed,
      streams: streamsPerConnection.reduce((a, b) => a + b, 0),
      streamsPerConnection,
      pausedConnections: connections.filter((c) => c.connection.isPaused).length,
    };
  }

  /** Closes every connection; open streams fail with 12006. Later `openStream` calls throw. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new TTStreamError(TTStreamErrorCode.TransportClosing, {
        side: 'client',
        detail: 'client transport is closed',
      });
    }
  }
}
