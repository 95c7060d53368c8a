import { connect, type Socket } from 'node:net';
import { RpcCallError, RpcCallErrorKind } from '../errors/rpc-call-error.js';
import { TTStreamError } from '../errors/ttstream-error.js';
import { PingPongDecodeError } from '../protocol/pingpong-decode-error.js';
import {
  PingPongDecoder,
  type PingPongDecoderOptions,
  type PingPongMessage,
} from '../protocol/pingpong-decoder.js';
import { formatAddress, isUnixAddress, type TransportAddress } from './address.js';
import { debug } from './debug.js';
import { Deferred } from './deferred.js';
import { goNetErrorText } from './net-error-text.js';
import { describeValue } from './to-error.js';

/** Options of {@link PingPongClientConnection.dial}. @internal not covered by semver */
export interface PingPongConnectionOptions {
  /** The dial fails (`get connection error ... i/o timeout`) when it takes longer. */
  readonly dialTimeoutMs: number;
  /** Limits of the reply decoder (reply size, header keys and bytes). */
  readonly decoder?: PingPongDecoderOptions;
  /** Creates the socket (tests substitute one that never connects). Default `net.connect`. */
  readonly createSocket?: (address: TransportAddress) => Socket;
}

/** What a pool learns about its connections. @internal not covered by semver */
export interface PingPongConnectionEvents {
  /** The socket of `connection` connected. */
  onConnect(connection: PingPongClientConnection): void;
  /**
   * `connection` closed; a call in flight has failed. `error` is set when the dial failed or the
   * connection died of an error (not when it was closed on purpose or the peer closed it idle).
   */
  onClose(connection: PingPongClientConnection, error: RpcCallError | undefined): void;
}

interface Exchange {
  readonly expectReply: boolean;
  resolve(reply: PingPongMessage | undefined): void;
  reject(error: Error): void;
}

function connectTo(address: TransportAddress): Socket {
  return isUnixAddress(address)
    ? connect({ path: address.path })
    : connect({ host: address.host, port: address.port, noDelay: true, keepAlive: true });
}

/**
 * One ping-pong connection: one request at a time, its reply read back whole (any shape). Bytes
 * the server sends while no reply is awaited, or bytes that do not decode, close it: a Kitex
 * server answers each request once, in order, so such bytes mean the connection cannot be trusted.
 * @internal not covered by semver
 */
export class PingPongClientConnection {
  /** Ms timestamp (`performance.now()`) of the moment it became idle; kept by the pool. */
  idleSince = 0;
  /** The socket (for `connect` listeners). */
  readonly socket: Socket;
  private readonly decoder: PingPongDecoder;
  private readonly connected = new Deferred<void>();
  private readonly closedD = new Deferred<void>();
  private exchangeInFlight: Exchange | undefined;
  private seq = 0;
  private closed = false;
  /** Set by {@link destroy}: what a call in flight fails with, and why the socket closed. */
  private closeError: Error | undefined;
  private dialTimer: NodeJS.Timeout | undefined;
  private readonly peer: string;

  private constructor(
    readonly address: TransportAddress,
    options: PingPongConnectionOptions,
    private readonly events: PingPongConnectionEvents,
  ) {
    this.peer = formatAddress(address);
    this.decoder = new PingPongDecoder(options.decoder);
    const socket = (options.createSocket ?? connectTo)(address);
    this.socket = socket;
    this.dialTimer = setTimeout(() => {
      this.dialTimer = undefined;
      // One loop turn of grace: after a long synchronous block 'connect' may be queued already.
      setImmediate(() => {
        if (this.connected.isSettled || this.closed) return;
        this.destroy(
          new RpcCallError(RpcCallErrorKind.GetConnection, `${this.dialPrefix()}: i/o timeout`),
        );
      });
    }, options.dialTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(this.dialTimer);
      this.dialTimer = undefined;
      this.connected.resolve();
      this.events.onConnect(this);
    });
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('error', (error) => {
      this.closeError ??= this.errorFor(error);
    });
    socket.on('close', () => {
      this.onClose();
    });
  }

  /** Starts connecting to `address`. */
  static dial(
    address: TransportAddress,
    options: PingPongConnectionOptions,
    events: PingPongConnectionEvents,
  ): PingPongClientConnection {
    return new PingPongClientConnection(address, options, events);
  }

  /** Resolves once connected; rejects with the `get connection error` when the dial fails. */
  get ready(): Promise<void> {
    return this.connected.promise;
  }

  /** Resolves once the socket has closed. */
  get whenClosed(): Promise<void> {
    return this.closedD.promise;
  }

  /** True once the socket closed or is closing: never to be used again. */
  get isClosed(): boolean {
    return this.closed || this.closeError !== undefined || this.socket.destroyed;
  }

  /** True while a request is written and its reply (or, oneway, the write) awaited. */
  get isBusy(): boolean {
    return this.exchangeInFlight !== undefined;
  }

  /** The next seq id of this connection: 1, 2, ... up to 2^31-1, then 1 again. */
  nextSeqId(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /**
   * Writes one request. With `expectReply` resolves with the next message the server sends;
   * otherwise (oneway) once the bytes are handed to the operating system. Rejects with a
   * `remote or network error` when the connection fails first.
   */
  exchange(bytes: Uint8Array, expectReply: boolean): Promise<PingPongMessage | undefined> {
    if (this.isClosed) return Promise.reject(this.closeError ?? this.closedError());
    if (this.exchangeInFlight !== undefined) {
      return Promise.reject(new Error('PingPongClientConnection: a request is already in flight'));
    }
    return new Promise((resolve, reject) => {
      const exchange: Exchange = { expectReply, resolve, reject };
      this.exchangeInFlight = exchange;
      this.socket.write(bytes, (error) => {
        if (error != null) {
          this.destroy(this.errorFor(error));
        } else if (!expectReply && this.exchangeInFlight === exchange) {
          this.exchangeInFlight = undefined;
          resolve(undefined);
        }
      });
    });
  }

  /**
   * Closes once written bytes are flushed (FIN), without waiting for the peer's: a connection
   * retired after a oneway call, a `crrst` reply or an idle timeout never lingers half-open.
   */
  end(): void {
    if (this.isClosed) return;
    this.closeError = this.closedError();
    this.socket.end(() => {
      this.socket.destroy();
    });
  }

  /** Closes at once; a call in flight fails with `error` (default: the connection was closed). */
  destroy(error?: Error): void {
    if (this.closed) return;
    this.closeError ??= error ?? this.closedError();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let messages: readonly PingPongMessage[];
    let failure: RpcCallError | undefined;
    try {
      messages = this.decoder.push(chunk);
    } catch (error) {
      // A reply completed before the bad bytes is still the answer to the call in flight.
      messages = error instanceof PingPongDecodeError ? error.messagesBefore : [];
      const detail = error instanceof TTStreamError ? error.detail : describeValue(error);
      failure = new RpcCallError(RpcCallErrorKind.RemoteOrNetwork, detail, {
        remote: true,
        cause: error,
      });
    }
    for (const message of messages) {
      const exchange = this.exchangeInFlight;
      if (exchange?.expectReply !== true) {
        debug('pingpong client: unexpected message from %s, closing', this.peer);
        failure ??= new RpcCallError(
          RpcCallErrorKind.RemoteOrNetwork,
          `unexpected message from ${this.peer} with no call awaiting a reply`,
          { remote: true },
        );
        break;
      }
      this.exchangeInFlight = undefined;
      exchange.resolve(message);
    }
    if (failure !== undefined) this.destroy(failure);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.dialTimer);
    this.dialTimer = undefined;
    const wasConnected = this.connected.isSettled;
    let error = this.closeError;
    if (error === undefined || (!wasConnected && !(error instanceof RpcCallError))) {
      error = wasConnected
        ? new RpcCallError(
            RpcCallErrorKind.RemoteOrNetwork,
            `connection closed by peer ${this.peer}: EOF`,
          )
        : new RpcCallError(RpcCallErrorKind.GetConnection, `${this.dialPrefix()}: closed`);
    }
    const rpcError = error instanceof RpcCallError ? error : undefined;
    this.connected.reject(error);
    const exchange = this.exchangeInFlight;
    this.exchangeInFlight = undefined;
    exchange?.reject(error);
    // Report failures only: a close we asked for, or a peer closing an idle connection, is none.
    const failed =
      rpcError !== undefined &&
      rpcError.kind !== RpcCallErrorKind.InternalException &&
      (!wasConnected || exchange !== undefined || rpcError.remote);
    this.events.onClose(this, failed ? rpcError : undefined);
    this.closedD.resolve();
  }

  /** The error a socket error means at this point: a failed dial, or a failed connection. */
  private errorFor(error: unknown): RpcCallError {
    if (!this.connected.isSettled) {
      return new RpcCallError(
        RpcCallErrorKind.GetConnection,
        `${this.dialPrefix()}: ${goNetErrorText(error)}`,
        { cause: error },
      );
    }
    return new RpcCallError(
      RpcCallErrorKind.RemoteOrNetwork,
      `${isUnixAddress(this.address) ? 'unix' : 'tcp'} ${this.peer}: ${goNetErrorText(error)}`,
      { cause: error },
    );
  }

  private dialPrefix(): string {
    return `dial ${isUnixAddress(this.address) ? 'unix' : 'tcp'} ${this.peer}`;
  }

  private closedError(): RpcCallError {
    return new RpcCallError(RpcCallErrorKind.InternalException, 'connection closed by the client');
  }
}
