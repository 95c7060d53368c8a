import { createServer, type Server, type Socket } from 'node:net';
import { PingPongDecoder } from '../../../lib/protocol/pingpong-decoder.js';
import { encodePingPong } from '../../../lib/protocol/pingpong-encoder.js';
import type { PingPongShape } from '../../../lib/protocol/pingpong-shape.js';
import { encodeApplicationExceptionMessage } from '../../../lib/thrift/application-exception.js';
import {
  decodeThriftMessageHeader,
  encodeThriftMessage,
  ThriftMessageType,
} from '../../../lib/thrift/message-envelope.js';
import { unaryMethod } from '../../helpers/pingpong-peer.js';
import { waitFor } from '../../helpers/wait.js';

/** One request as the fake server saw it. */
export interface FakeRequest {
  readonly shape: PingPongShape;
  readonly intHeaders: ReadonlyMap<number, string>;
  readonly strHeaders: ReadonlyMap<string, string>;
  readonly headerSeqId: number | undefined;
  readonly name: string;
  readonly type: number;
  readonly seqId: number;
  /** The args struct, decoded with the echo IDL's method of that name. */
  readonly args: Record<string, unknown>;
  /** Which accepted connection (0, 1, ...) carried it. */
  readonly connection: number;
}

/** What the fake server does with a request. */
export type FakeAnswer =
  | {
      readonly kind: 'reply';
      /** The `<Method>_result` struct value. */
      readonly result: Record<string, unknown>;
      readonly strHeaders?: ReadonlyMap<string, string>;
      /** Default: the request's. */
      readonly seqId?: number;
      readonly name?: string;
    }
  | {
      readonly kind: 'exception';
      readonly typeId: number;
      readonly message: string;
      readonly strHeaders?: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array }
  /** Answers nothing (oneway, or a server that hangs). */
  | { readonly kind: 'none' }
  /** Closes the connection without answering. */
  | { readonly kind: 'close' };

export type FakeHandler = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

/**
 * A tiny ping-pong server for client tests, on 127.0.0.1:0: reads each connection's requests
 * one after another (as a Kitex server does), answers each in its shape via `handler`.
 */
export class FakePingPongServer {
  readonly requests: FakeRequest[] = [];
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections open now. */
  open = 0;
  /** Most connections open at once. */
  maxOpen = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private handler: FakeHandler) {
    this.server = createServer((socket) => {
      this.serve(socket);
    });
  }

  static async start(handler: FakeHandler): Promise<FakePingPongServer> {
    const fake = new FakePingPongServer(handler);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  setHandler(handler: FakeHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
    await waitFor(() => this.open === 0, 'fake server connections closed');
  }

  private serve(socket: Socket): void {
    const id = this.accepted++;
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.open--;
      this.sockets.delete(socket);
    });
    const decoder = new PingPongDecoder();
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk)) {
        const header = decodeThriftMessageHeader(message.message);
        const args = unaryMethod(header.name).argsCodec.decode(
          message.message.subarray(header.bodyOffset),
        );
        const request: FakeRequest = {
          shape: message.shape,
          intHeaders: message.intHeaders,
          strHeaders: message.strHeaders,
          headerSeqId: message.headerSeqId,
          name: header.name,
          type: header.type,
          seqId: header.seqId,
          args,
          connection: id,
        };
        this.requests.push(request);
        // One request at a time per connection, in order.
        chain = chain.then(async () => {
          const answer = await this.handler(request);
          this.answer(socket, request, answer);
        });
      }
    });
  }

  private answer(socket: Socket, request: FakeRequest, answer: FakeAnswer): void {
    if (socket.destroyed) return;
    switch (answer.kind) {
      case 'none':
        return;
      case 'close':
        socket.destroy();
        return;
      case 'raw':
        socket.write(answer.bytes);
        return;
      case 'exception': {
        const message = encodeApplicationExceptionMessage({
          method: request.name,
          seqId: request.seqId,
          typeId: answer.typeId,
          message: answer.message,
        });
        socket.write(frame(request, message, '3', answer.strHeaders));
        return;
      }
      case 'reply': {
        const name = answer.name ?? request.name;
        const body = unaryMethod(request.name).resultCodec.encode(answer.result);
        const message = encodeThriftMessage(
          { name, type: ThriftMessageType.Reply, seqId: answer.seqId ?? request.seqId },
          body,
        );
        socket.write(frame(request, message, '2', answer.strHeaders));
        return;
      }
    }
  }
}

function frame(
  request: FakeRequest,
  message: Uint8Array,
  msgType: string,
  strHeaders: ReadonlyMap<string, string> | undefined,
): Uint8Array {
  return encodePingPong({
    shape: request.shape,
    seqId: request.seqId,
    intHeaders: new Map([[22, msgType]]),
    strHeaders,
    message,
  });
}

/** The echo answer of `EchoUnary`: `Response{message: req.message, index: req.count}`. */
export function echoReply(request: FakeRequest): FakeAnswer {
  const req = request.args.req as { message: string; count: number };
  return { kind: 'reply', result: { success: { message: req.message, index: req.count } } };
}
