// Pieces of the hostile-input suite (npm run test:hostile): the well-behaved client that keeps
// calling the sample server during the attacks, its statistics, the server's RSS, frames crafted
// byte by byte (header areas larger than our encoder writes), and bounded socket helpers.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { FrameType } from '../../lib/protocol/frame-type.js';
import { IntHeaderKey } from '../../lib/protocol/int-header-key.js';
import {
  InfoId,
  LENGTH_FIXED_BYTES,
  PROTOCOL_ID_THRIFT_STRUCT,
  TTHEADER_FLAGS_STREAMING,
  TTHEADER_MAGIC,
} from '../../lib/protocol/ttheader-constants.js';
import type { MessageCodec } from '../../lib/thrift/message-codec.js';
import { TTStreamClientTransport } from '../../lib/transport/index.js';

/** The echo IDL's Request and Response structs. */
export interface EchoRequest {
  readonly message: string;
  readonly userId: bigint;
  readonly count: number;
}
export interface EchoResponse {
  readonly message: string;
  readonly index: number;
}

/** Codecs of the echo IDL's methods (all four share Request/Response). */
export const echoCodecs = ((): {
  request: MessageCodec<EchoRequest>;
  response: MessageCodec<EchoResponse>;
} => {
  const method = loadThriftIdl('sample/idl/echo.thrift')
    .services.get('TestService')
    ?.methods.get('EchoServer');
  if (method === undefined) throw new Error('TestService.EchoServer missing from the echo IDL');
  return {
    request: method.requestCodec as MessageCodec<EchoRequest>,
    response: method.responseCodec as MessageCodec<EchoResponse>,
  };
})();

/** The Thrift bytes of a Request. */
export function requestBytes(message: string, count: number): Uint8Array {
  return echoCodecs.request.encode({ message, userId: 1n, count });
}

/** VmRSS of process `pid` in MB (from /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Polls `condition` every 20 ms until true; false after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

// --- the well-behaved client -------------------------------------------------------------------

/** One call of the well-behaved client. */
export interface CallRecord {
  readonly kind: 'EchoServer' | 'Echo';
  /** performance.now() at the start. */
  readonly start: number;
  /** ms to completion (or to the failure). */
  readonly latencyMs: number;
  readonly ok: boolean;
  readonly error?: string;
}

/** Calls and latencies of a time window. */
export interface WindowStats {
  readonly calls: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: readonly string[];
}

const CALL_TIMEOUT_MS = 5000;
// At most this many calls in flight: a server that stops answering shows up as failures (each
// call ends after CALL_TIMEOUT_MS), never as an ever-growing pile of pending calls.
const MAX_IN_FLIGHT = 200;

/**
 * Every `intervalMs`, a server-streaming `EchoServer` call (count 10, all 10 messages checked and
 * the trailer read) and a bidi `Echo` round trip, each with a 5 s deadline, until `stop()`.
 */
export class GoodClient {
  readonly records: CallRecord[] = [];
  private readonly transport: TTStreamClientTransport;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private seq = 0;
  private stopped = false;

  constructor(
    port: number,
    private readonly intervalMs = 50,
  ) {
    this.transport = new TTStreamClientTransport({ host: '127.0.0.1', port }, { poolSize: 2 });
    this.transport.on('error', () => undefined);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.tick();
    }, this.intervalMs);
  }

  /** Stops calling, waits (at most 10 s) for the calls in flight, closes the transport. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await eventually(() => this.inFlight === 0, 10_000);
    await this.transport.close();
  }

  /** Statistics of the calls started in [from, to) (performance.now() times). */
  window(from: number, to = Infinity): WindowStats {
    const calls = this.records.filter((r) => r.start >= from && r.start < to);
    const latencies = calls.map((r) => r.latencyMs).sort((a, b) => a - b);
    const failed = calls.filter((r) => !r.ok);
    return {
      calls: calls.length,
      failed: failed.length,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
      errors: [...new Set(failed.map((r) => `${r.kind}: ${r.error ?? '?'}`))].slice(0, 5),
    };
  }

  private tick(): void {
    this.run('EchoServer', (n) => this.echoServer(n));
    this.run('Echo', (n) => this.echo(n));
  }

  private run(kind: CallRecord['kind'], call: (n: number) => Promise<void>): void {
    const start = performance.now();
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.records.push({ kind, start, latencyMs: 0, ok: false, error: 'too many calls pending' });
      return;
    }
    this.inFlight++;
    call(this.seq++)
      .then(
        () => {
          this.records.push({ kind, start, latencyMs: performance.now() - start, ok: true });
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.records.push({
            kind,
            start,
            latencyMs: performance.now() - start,
            ok: false,
            error: message,
          });
        },
      )
      .finally(() => {
        this.inFlight--;
      });
  }

  /** A stream of the echo service with the call deadline. */
  private open(method: 'Echo' | 'EchoServer') {
    return this.transport.openStream(
      {
        service: 'TestService',
        method,
        requestCodec: echoCodecs.request,
        responseCodec: echoCodecs.response,
      },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
  }

  private async echoServer(n: number): Promise<void> {
    const stream = this.open('EchoServer');
    const message = `good-${n}`;
    await stream.send({ message, userId: 1n, count: 10 });
    await stream.closeSend();
    let index = 0;
    for await (const response of stream) {
      if (response.message !== message || response.index !== index) {
        throw new Error(`EchoServer answered ${JSON.stringify(response)} at ${index}`);
      }
      index++;
    }
    if (index !== 10) throw new Error(`EchoServer sent ${index} of 10 messages`);
    const sent = (await stream.trailer()).get('x-sent');
    if (sent !== '10') throw new Error(`EchoServer trailer x-sent=${String(sent)}`);
  }

  private async echo(n: number): Promise<void> {
    const stream = this.open('Echo');
    const message = `bidi-${n}`;
    await stream.send({ message, userId: 1n, count: 0 });
    const first = await stream.recv();
    if (first.done === true || first.value.message !== message || first.value.index !== 0) {
      throw new Error(`Echo answered ${JSON.stringify(first.value)}`);
    }
    await stream.closeSend();
    const end = await stream.recv();
    if (end.done !== true) throw new Error('Echo sent more than one response');
  }
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

// --- raw sockets ---------------------------------------------------------------------------------

/** A raw socket to 127.0.0.1:port and when (performance.now()) it closed and how. */
export interface TrackedSocket {
  readonly socket: Socket;
  /** Bytes received from the server. */
  received: number;
  closedAt: number | undefined;
  /** The socket saw the server's FIN or RST (as opposed to our own destroy). */
  closedByPeer: boolean;
}

/**
 * Opens `count` sockets to 127.0.0.1:`port`, `batch` connects at a time (a burst of thousands
 * would overflow the listen backlog and measure SYN retries instead), each within 10 s.
 */
export async function openSockets(
  port: number,
  count: number,
  batch = 100,
): Promise<TrackedSocket[]> {
  const out: TrackedSocket[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    out.push(...(await Promise.all(Array.from({ length: n }, () => openSocket(port)))));
  }
  return out;
}

export function openSocket(port: number): Promise<TrackedSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const tracked: TrackedSocket = {
      socket,
      received: 0,
      closedAt: undefined,
      closedByPeer: false,
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect to the sample server took over 10 s'));
    }, 10_000);
    socket.on('data', (chunk: Buffer) => {
      tracked.received += chunk.length;
    });
    socket.on('end', () => {
      tracked.closedByPeer = true;
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') tracked.closedByPeer = true;
    });
    socket.on('close', () => {
      tracked.closedAt = performance.now();
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(tracked);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Destroys every socket still open and waits (at most 5 s) for them to close. */
export async function destroyAll(sockets: readonly TrackedSocket[]): Promise<void> {
  for (const s of sockets) s.socket.destroy();
  await eventually(() => sockets.every((s) => s.closedAt !== undefined), 5000);
}

// --- frames crafted by hand ----------------------------------------------------------------------

/** What {@link craftFrame} writes: any bytes as string header keys and values. */
export interface CraftedFrame {
  readonly type: number;
  readonly streamId: number;
  readonly method: string;
  readonly strPairs?: readonly (readonly [Uint8Array, Uint8Array])[];
  readonly intPairs?: readonly (readonly [number, string])[];
  readonly payload?: Uint8Array;
}

/**
 * Encodes a frame byte by byte, without our encoder's limits: header areas up to what the 16-bit
 * header size allows (262,140 bytes), string keys and values of arbitrary (non-UTF-8) bytes.
 */
export function craftFrame(frame: CraftedFrame): Buffer {
  const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
  const intPairs: [number, Buffer][] = [
    [IntHeaderKey.FrameType, ascii(String(frame.type))],
    [IntHeaderKey.ToMethod, ascii(frame.method)],
    ...(frame.intPairs ?? []).map(([k, v]): [number, Buffer] => [k, ascii(v)]),
  ];
  const strPairs = frame.strPairs ?? [];
  let infoBytes = 2 + 3 + intPairs.reduce((n, [, v]) => n + 4 + v.length, 0);
  if (strPairs.length > 0) {
    infoBytes += 3 + strPairs.reduce((n, [k, v]) => n + 4 + k.length + v.length, 0);
  }
  const padded = Math.ceil(infoBytes / 4) * 4;
  if (padded / 4 > 0xffff) throw new Error(`header info of ${padded} bytes does not fit`);
  const payload = frame.payload ?? new Uint8Array(0);
  const out = Buffer.alloc(4 + LENGTH_FIXED_BYTES + padded + payload.length);
  let at = 0;
  at = out.writeUInt32BE(LENGTH_FIXED_BYTES + padded + payload.length, at);
  at = out.writeUInt16BE(TTHEADER_MAGIC, at);
  at = out.writeUInt16BE(TTHEADER_FLAGS_STREAMING, at);
  at = out.writeInt32BE(frame.streamId, at);
  at = out.writeUInt16BE(padded / 4, at);
  at = out.writeUInt8(PROTOCOL_ID_THRIFT_STRUCT, at);
  at = out.writeUInt8(0, at); // no transforms
  at = out.writeUInt8(InfoId.IntKeyValue, at);
  at = out.writeUInt16BE(intPairs.length, at);
  for (const [key, value] of intPairs) {
    at = out.writeUInt16BE(key, at);
    at = out.writeUInt16BE(value.length, at);
    at += value.copy(out, at);
  }
  if (strPairs.length > 0) {
    at = out.writeUInt8(InfoId.KeyValue, at);
    at = out.writeUInt16BE(strPairs.length, at);
    for (const [key, value] of strPairs) {
      at = out.writeUInt16BE(key.length, at);
      out.set(key, at);
      at += key.length;
      at = out.writeUInt16BE(value.length, at);
      out.set(value, at);
      at += value.length;
    }
  }
  // Padding bytes (InfoId.Padding = 0) are already zero.
  out.set(payload, 4 + LENGTH_FIXED_BYTES + padded);
  return out;
}

/** A client HEADER opening TestService.`method` on `streamId`, with extra string pairs. */
export function craftedHeader(
  streamId: number,
  method: string,
  strPairs: readonly (readonly [Uint8Array, Uint8Array])[] = [],
): Buffer {
  return craftFrame({
    type: FrameType.Header,
    streamId,
    method,
    strPairs: [[Buffer.from('isn'), Buffer.from('TestService')], ...strPairs],
  });
}

/** `count` distinct 2-byte keys that are not UTF-8 (a lone continuation byte first). */
export function binaryKeys(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from([0x80 | (i % 64), (i >> 6) & 0xff]));
}

/** `length` bytes that are not UTF-8 (0xff never occurs in UTF-8), varied by `seed`. */
export function binaryValue(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length, 0xff);
  for (let i = 0; i < length; i += 7) out[i] = (seed + i) & 0xff;
  return out;
}
