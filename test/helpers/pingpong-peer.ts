import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { PingPongDecoder, type PingPongMessage } from '../../lib/protocol/pingpong-decoder.js';
import { encodePingPong } from '../../lib/protocol/pingpong-encoder.js';
import type { PingPongShape } from '../../lib/protocol/pingpong-shape.js';
import { decodeApplicationExceptionMessage } from '../../lib/thrift/application-exception.js';
import {
  decodeThriftMessageHeader,
  encodeThriftMessage,
  ThriftMessageType,
} from '../../lib/thrift/message-envelope.js';
import type { UnaryMethodDescriptor } from '../../lib/thrift/thrift-idl.js';
import { waitFor } from './wait.js';

/** The echo IDL (sample/idl/echo.thrift), loaded once. */
export const pingPongIdl = loadThriftIdl(resolve(process.cwd(), 'sample/idl/echo.thrift'));

/** A unary or oneway method of the echo IDL's TestService. */
export function unaryMethod(name: string): UnaryMethodDescriptor {
  const method = pingPongIdl.services.get('TestService')?.methods.get(name);
  if (method?.mode !== 'unary') throw new Error(`TestService.${name} is not a unary method`);
  return method;
}

/** One ping-pong request as a test scripts it. */
export interface PingPongRequest {
  readonly shape: PingPongShape;
  /** The method name in the Thrift envelope. */
  readonly name: string;
  readonly seqId: number;
  /** CALL by default. */
  readonly type?: ThriftMessageType;
  /** The args struct (encoded with `method`'s args codec, default the one named `name`). */
  readonly args?: Record<string, unknown>;
  /** Raw struct bytes instead of `args`. */
  readonly body?: Uint8Array;
  readonly method?: UnaryMethodDescriptor;
  readonly intHeaders?: ReadonlyMap<number, string>;
  /** TTHeader string keys; default `{ isn: 'TestService' }` (pass an empty map for none). */
  readonly strHeaders?: ReadonlyMap<string, string>;
  /** The TTHeader SEQ field; default `seqId`. */
  readonly headerSeqId?: number;
}

/** The bytes of a request (a `Request{message, userId, count}` arg by default). */
export function encodeRequest(req: PingPongRequest): Uint8Array {
  const method = req.method ?? unaryMethod(req.name);
  const body = req.body ?? method.argsCodec.encode(req.args ?? {});
  const message = encodeThriftMessage(
    { name: req.name, type: req.type ?? ThriftMessageType.Call, seqId: req.seqId },
    body,
  );
  return encodePingPong({
    shape: req.shape,
    seqId: req.headerSeqId ?? req.seqId,
    intHeaders: req.intHeaders,
    strHeaders: req.strHeaders ?? new Map([['isn', 'TestService']]),
    message,
  });
}

/** `{ req: Request{message, userId, count} }`, the args of the echo methods. */
export function reqArgs(message: string, count = 1, userId = 1n): Record<string, unknown> {
  return { req: { message, userId, count } };
}

/** A decoded reply: its envelope and either the result struct or the exception. */
export interface ParsedReply {
  readonly shape: PingPongShape;
  readonly headerSeqId: number | undefined;
  readonly intHeaders: ReadonlyMap<number, string>;
  readonly strHeaders: ReadonlyMap<string, string>;
  readonly name: string;
  readonly type: number;
  readonly seqId: number;
  /** REPLY: the `<Method>_result` struct. */
  readonly result?: Record<string, unknown>;
  /** EXCEPTION: the TApplicationException. */
  readonly exception?: { readonly typeId: number; readonly message: string };
}

/** Decodes `reply`; a REPLY's result with the result codec of the method it names. */
export function parseReply(reply: PingPongMessage): ParsedReply {
  const header = decodeThriftMessageHeader(reply.message);
  const base = {
    shape: reply.shape,
    headerSeqId: reply.headerSeqId,
    intHeaders: reply.intHeaders,
    strHeaders: reply.strHeaders,
    name: header.name,
    type: header.type,
    seqId: header.seqId,
  };
  if (header.type === ThriftMessageType.Exception) {
    const ex = decodeApplicationExceptionMessage(reply.message);
    return { ...base, exception: { typeId: ex.typeId, message: ex.message } };
  }
  const result = unaryMethod(header.name).resultCodec.decode(
    reply.message.subarray(header.bodyOffset),
  );
  return { ...base, result };
}

/** A raw client socket speaking ping-pong by hand; records every reply it receives. */
export class PingPongPeer {
  readonly replies: PingPongMessage[] = [];
  decodeError: unknown = undefined;
  closed = false;
  /** Bytes received in all (including any that did not decode). */
  receivedBytes = 0;
  private readonly decoder = new PingPongDecoder();

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      try {
        this.replies.push(...this.decoder.push(chunk));
      } catch (error) {
        this.decodeError = error;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(port: number): Promise<PingPongPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new PingPongPeer(socket);
  }

  /** Writes the requests in one write. */
  send(...requests: PingPongRequest[]): void {
    this.socket.write(Buffer.concat(requests.map((r) => encodeRequest(r))));
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits for `count` replies in all and returns them parsed. */
  async waitReplies(count: number, timeoutMs = 10_000): Promise<ParsedReply[]> {
    await waitFor(() => this.replies.length >= count, `${count} ping-pong replies`, timeoutMs);
    return this.replies.map(parseReply);
  }

  /** Sends one request and waits for its reply. */
  async call(request: PingPongRequest): Promise<ParsedReply> {
    const before = this.replies.length;
    this.send(request);
    const replies = await this.waitReplies(before + 1);
    return replies[before] as ParsedReply;
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.closed, 'ping-pong peer socket closed', timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.destroy();
    await this.waitClosed();
  }
}
