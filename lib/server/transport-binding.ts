import {
  argsToPayload,
  declaredExceptionField,
  type MessageCodec,
  type UnaryMethodDescriptor,
} from '../thrift/index.js';
import {
  type ServerStream,
  type TransportAddress,
  TTStreamServerTransport,
} from '../transport/index.js';
import { type StreamMode } from '../nest-constants.js';
import { type BoundMethod, type BoundUnaryMethod, type ServerBinding } from './server-binding.js';
import { serverCallFromUnary } from './unary-server-call.js';
import { type ServerCall } from './server-call.js';
import {
  DEFAULT_GRACEFUL_SHUTDOWN_MS,
  DEFAULT_TTSTREAM_HOST,
  DEFAULT_TTSTREAM_PORT,
  type TTStreamServerOptions,
} from './ttstream-server-options.interface.js';

/**
 * The {@link ServerBinding} over `TTStreamServerTransport` (real TCP).
 * @internal not covered by semver
 */
export function createTransportBinding(options: TTStreamServerOptions): ServerBinding {
  const transport = new TTStreamServerTransport({
    ...options.transportOptions,
    gracePeriodMs: options.gracefulShutdownMs ?? DEFAULT_GRACEFUL_SHUTDOWN_MS,
  });
  let bound: TransportAddress | undefined;
  return {
    register(method: BoundMethod): void {
      transport.register(method.service, method.method, {
        // TTHeader Streaming has no unary mode: a unary IDL method is served as server streaming.
        mode: method.mode === 'unary' ? 'server' : method.mode,
        requestCodec: method.requestCodec as MessageCodec<unknown>,
        responseCodec: method.responseCodec as MessageCodec<unknown>,
        handler: (stream) => method.handler(serverCallFromStream(stream, method.mode)),
      });
    },
    registerUnary(bound: BoundUnaryMethod): void {
      const descriptor = bound.descriptor as UnaryMethodDescriptor;
      transport.registerUnary(bound.service, bound.method, {
        oneway: bound.oneway,
        returnsVoid: descriptor.returnsVoid,
        argsCodec: descriptor.argsCodec,
        resultCodec: descriptor.resultCodec,
        declaredException: (error) => declaredExceptionField(descriptor, error),
        handler: async (call) => {
          let reply: unknown;
          const payload = argsToPayload(descriptor, call.args);
          await bound.handler(
            serverCallFromUnary(call, payload, (value) => {
              reply = value;
            }),
          );
          return reply;
        },
      });
    },
    async listen(): Promise<void> {
      bound = await transport.listen({
        host: options.host ?? DEFAULT_TTSTREAM_HOST,
        port: options.port ?? DEFAULT_TTSTREAM_PORT,
      });
    },
    close: () => transport.close(),
    address: () =>
      bound !== undefined && 'port' in bound
        ? { address: bound.host, port: bound.port }
        : undefined,
    unwrap: () => transport,
    on(event, listener) {
      // The transport emits the same two events with the same arguments.
      if (event === 'connection') transport.on('connection', listener as (socket: unknown) => void);
      else transport.on('error', listener);
    },
  };
}

/** The Nest layer's view of a transport stream. @internal */
export function serverCallFromStream(
  stream: ServerStream<unknown, unknown>,
  mode: StreamMode,
): ServerCall {
  const headers = Object.freeze(Object.fromEntries(stream.headers));
  const setHeader = (record: Readonly<Record<string, string>>): void => {
    for (const [k, v] of Object.entries(record)) stream.setHeader(k, v);
  };
  return {
    streamId: stream.streamId,
    service: stream.service,
    method: stream.method,
    mode,
    headers,
    timeoutMs: stream.remoteTimeoutMs,
    remoteAddress: stream.remoteAddress,
    get signal() {
      return stream.signal;
    },
    get sentMessages() {
      return stream.sentCount;
    },
    get receivedMessages() {
      return stream.receivedCount;
    },
    get sentBytes() {
      return stream.sentBytes;
    },
    get receivedBytes() {
      return stream.receivedBytes;
    },
    setHeader,
    sendHeader(record = {}) {
      try {
        setHeader(record);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown as is
        return Promise.reject(error);
      }
      return stream.sendHeader();
    },
    setTrailer(record) {
      for (const [k, v] of Object.entries(record)) stream.setTrailer(k, v);
    },
    send: (message) => stream.send(message),
    sendThen: (message, onWritten) => stream.sendThen(message, onWritten),
    reset: (error) => {
      stream.cancel(error);
    },
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
  };
}
