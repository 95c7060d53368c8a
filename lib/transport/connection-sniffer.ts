import type { Socket } from 'node:net';
import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import { detectConnectionKind } from '../protocol/pingpong-shape.js';
import { debug } from './debug.js';

/** What a connection's first bytes showed. @internal */
export type SniffedKind = 'ttstream' | 'pingpong';

/** Bytes enough to tell the kinds apart (LENGTH or a Thrift version word, then MAGIC and FLAGS). */
const SNIFF_BYTES = 8;

/**
 * Reads a new connection's first bytes to tell TTHeader Streaming from ping-pong (TTHeader
 * without the streaming flag, Framed, Buffered), as Kitex's server does on one port, then puts
 * the bytes back and hands the socket over, paused until its new owner resumes it. Anything
 * else goes to the ttstream side, whose decoder rejects it with a clear error. A socket that
 * ends or stays silent for `timeoutMs` (0: no limit) before it can be told is destroyed (the
 * silent one reported to `timedOut`, as a ttstream connection's first-frame timeout is).
 * @internal not covered by semver
 */
export function sniffConnection(
  socket: Socket,
  timeoutMs: number,
  decided: (kind: SniffedKind) => void,
  timedOut?: (error: Error) => void,
): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          socket.destroy();
          const detail = `no frame within ${timeoutMs} ms of connecting`;
          timedOut?.(new TTStreamError(TTStreamErrorCode.TransportClosing, { detail }));
        }, timeoutMs)
      : undefined;
  const finish = (kind: SniffedKind): void => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('close', onClose);
    socket.removeListener('error', onError);
    socket.pause();
    socket.unshift(seen);
    decided(kind);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const kind = detectConnectionKind(seen);
    if (kind === undefined && seen.length < SNIFF_BYTES) return;
    finish(kind === 'pingpong' ? 'pingpong' : 'ttstream');
  };
  // A peer that ends before its first bytes tell anything has nothing to be answered.
  const onEnd = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const onClose = (): void => {
    clearTimeout(timer);
  };
  // Until an owner takes the socket, its errors (a peer's reset) are ours: unhandled, an
  // 'error' event would throw and bring the process down.
  const onError = (error: Error): void => {
    debug('connection failed before its first bytes could be told: %s', error.message);
  };
  socket.on('error', onError);
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('close', onClose);
}
