import { connect, type Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode, isTTStreamError } from '../errors/index.js';
import type { Frame, FrameInit } from '../protocol/frame.js';
import { formatAddress, isUnixAddress, type TransportAddress } from './address.js';
import type { ClientStream, ClientStreamLink } from './client-stream.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { debug } from './debug.js';
import { Deferred } from './deferred.js';
import { StreamRegistry } from './stream-registry.js';
import { describeValue } from './to-error.js';
import { oversizeFrameError } from './oversize-frame.js';

type AnyClientStream = ClientStream<never, never>;

/** Options of {@link ClientConnection.dial}. @internal not covered by semver */
export interface DialOptions extends ConnectionOptions {
  /** Dial timeout; the connection fails with 12006 when it passes. */
  readonly dialTimeoutMs: number;
  /** Creates the socket (tests substitute one that never connects). Default `net.connect`. */
  readonly createSocket?: (address: TransportAddress) => Socket;
}

function connectTo(address: TransportAddress): Socket {
  return isUnixAddress(address)
    ? connect({ path: address.path })
    : connect({ host: address.host, port: address.port, noDelay: true, keepAlive: true });
}

/** What a pool learns about its connections. @internal not covered by semver */
export interface ClientConnectionEvents {
  /** A stream of `connection` ended and was removed from it. */
  onStreamEnd(connection: ClientConnection): void;
  /** The socket of `connection` connected. */
  onConnect?(connection: ClientConnection): void;
  /**
   * `connection` closed; its streams have failed. `error` (what they failed with) is set when the
   * dial failed or the connection died of an error, undefined on a clean close.
   */
  onClose(connection: ClientConnection, error?: TTStreamError): void;
}

/**
 * A client connection: routes frames to its streams by id (frames for unknown ids are dropped),
 * and fails every stream with one 12006 error (12004 after bad bytes) when it dies.
 * @internal not covered by semver
 */
export class ClientConnection implements ClientStreamLink {
  readonly connection: Connection;
  private readonly registry = new StreamRegistry<AnyClientStream>();
  private dialTimer: NodeJS.Timeout | undefined;
  /** One loop turn of grace after the dial timer fired (see the constructor). */
  private dialGrace: NodeJS.Immediate | undefined;
  private readonly connected = new Deferred<void>();

  private constructor(
    readonly address: TransportAddress,
    options: DialOptions,
    private readonly events: ClientConnectionEvents,
  ) {
    const socket = (options.createSocket ?? connectTo)(address);
    this.connection = new Connection(
      socket,
      {
        onFrame: (frame) => {
          this.onFrame(frame);
        },
        onClose: (error) => {
          this.onClose(error);
        },
      },
      options,
    );
    this.dialTimer = setTimeout(() => {
      // Timers run before I/O in a loop turn: after a long synchronous block the timer can fire
      // while 'connect' is already waiting to be delivered. Let I/O run once before judging.
      this.dialTimer = undefined;
      this.dialGrace = setImmediate(() => {
        this.dialGrace = undefined; // 'connect' clears it, so reaching here means no connection
        this.connection.destroy(
          new TTStreamError(TTStreamErrorCode.TransportClosing, {
            side: 'client',
            detail: `dial ${formatAddress(address)} timed out after ${options.dialTimeoutMs}ms`,
          }),
        );
      });
    }, options.dialTimeoutMs);
    socket.once('connect', () => {
      this.clearDialTimer();
      this.connected.resolve();
      this.events.onConnect?.(this);
    });
  }

  /** Starts connecting; frames written before the socket connects wait in the socket. */
  static dial(
    address: TransportAddress,
    options: DialOptions,
    events: ClientConnectionEvents,
  ): ClientConnection {
    return new ClientConnection(address, options, events);
  }

  /**
   * Resolves once the socket connects; rejects with the error its streams fail with when the dial
   * fails or times out.
   */
  get ready(): Promise<void> {
    return this.connected.promise;
  }

  /** True while the socket is connected and open to new streams. */
  get isConnected(): boolean {
    return this.connected.isSettled && !this.isClosing;
  }

  /** Open streams on this connection. */
  get streamCount(): number {
    return this.registry.size;
  }

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  /** True when no new stream may use this connection (closed, or a FIN was sent or received). */
  get isClosing(): boolean {
    return this.connection.isClosing;
  }

  /** Registers a new stream. */
  add(stream: AnyClientStream): void {
    this.registry.add(stream);
  }

  write(frame: FrameInit): Promise<void> {
    return this.connection.write(frame);
  }

  /** An arrow property: every stream's receive buffer shares this one function. */
  readonly adjustBuffered = (delta: number): void => {
    this.connection.adjustBuffered(delta);
  };

  release(stream: AnyClientStream): void {
    if (this.registry.delete(stream)) this.events.onStreamEnd(this);
  }

  /** Flushes and closes; open streams fail with 12006 when the socket closes. */
  end(): Promise<void> {
    return this.connection.end();
  }

  /** Closes at once. */
  destroy(error?: unknown): void {
    this.connection.destroy(error);
  }

  private onFrame(frame: Frame): void {
    const stream = this.registry.get(frame.streamId);
    if (stream === undefined) {
      debug('client: dropping frame type %d for unknown stream %d', frame.type, frame.streamId);
      return;
    }
    if (frame.oversize !== undefined) {
      stream.cancel(oversizeFrameError('client', frame, this.connection.maxFrameBytes));
      return;
    }
    stream.onFrame(frame);
  }

  private clearDialTimer(): void {
    clearTimeout(this.dialTimer);
    clearImmediate(this.dialGrace);
    this.dialTimer = undefined;
    this.dialGrace = undefined;
  }

  private onClose(error: unknown): void {
    this.clearDialTimer();
    let streamError: TTStreamError;
    if (
      isTTStreamError(error) &&
      (error.kind === TTStreamErrorCode.IllegalFrame || error.side === 'client')
    ) {
      streamError = error;
    } else if (!this.connected.isSettled && error !== undefined) {
      // Never connected: say so, with the address, as Go's `dial tcp host:port: ...` does.
      const network = isUnixAddress(this.address) ? 'unix' : 'tcp';
      streamError = new TTStreamError(TTStreamErrorCode.TransportClosing, {
        side: 'client',
        detail: `dial ${network} ${formatAddress(this.address)}: ${describeValue(error)}`,
        cause: error,
      });
    } else {
      streamError = new TTStreamError(TTStreamErrorCode.TransportClosing, {
        side: 'client',
        // describeValue: socket errors come from Node's realm, where `instanceof Error` can fail.
        detail: `connection closed by peer${error === undefined ? '' : `: ${describeValue(error)}`}`,
        cause: error,
      });
    }
    this.connected.reject(streamError);
    this.registry.failAll(streamError);
    this.events.onClose(this, error === undefined ? undefined : streamError);
  }
}
