import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Frame, FrameInit } from '../../lib/protocol/frame.js';
import { FrameDecoder } from '../../lib/protocol/frame-decoder.js';
import { encodeFrame } from '../../lib/protocol/frame-encoder.js';
import { waitFor } from './wait.js';

/**
 * One raw socket speaking frames by hand: it records every frame it receives (or the decode
 * error) and writes whatever bytes a test scripts.
 */
export class RawPeer {
  readonly frames: Frame[] = [];
  decodeError: unknown = undefined;
  closed = false;
  private readonly decoder = new FrameDecoder();

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.frames.push(...this.decoder.push(chunk));
      } catch (error) {
        this.decodeError = error;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects to `port` on 127.0.0.1. */
  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  /** Writes frames (encoded) in one write. */
  send(...frames: FrameInit[]): void {
    this.socket.write(Buffer.concat(frames.map((f) => encodeFrame(f))));
  }

  /** Writes raw bytes. */
  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Frames received for `streamId`. */
  framesOf(streamId: number): Frame[] {
    return this.frames.filter((f) => f.streamId === streamId);
  }

  /** Waits until `count` frames for `streamId` were received. */
  async waitFrames(streamId: number, count: number): Promise<Frame[]> {
    await waitFor(
      () => this.framesOf(streamId).length >= count,
      `${count} frames on stream ${streamId}`,
    );
    return this.framesOf(streamId);
  }

  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, 'raw peer socket closed');
  }

  /** Closes the socket and waits for it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.destroy();
    await this.waitClosed();
  }
}

/** A raw server on 127.0.0.1:0 that wraps each accepted socket in a {@link RawPeer}. */
export class RawServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly peers: RawPeer[],
  ) {}

  static async start(): Promise<RawServer> {
    const peers: RawPeer[] = [];
    const server = createServer((socket) => {
      peers.push(new RawPeer(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return new RawServer(server, address.port, peers);
  }

  /** Waits for the `index`-th accepted connection. */
  async peer(index = 0): Promise<RawPeer> {
    await waitFor(() => this.peers.length > index, `raw connection ${index}`);
    return this.peers[index]!;
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.close()));
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}
