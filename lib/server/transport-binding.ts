import {
  argsToPayload,
  declaredExceptionField,
  type MessageCodec,
  type UnaryMethodDescriptor,
} from '../thrift/index.js';
import { type TransportAddress, TTStreamServerTransport } from '../transport/index.js';
import { type BoundMethod, type BoundUnaryMethod, type ServerBinding } from './server-binding.js';
import { StreamServerCall } from './stream-server-call.js';
import { serverCallFromUnary } from './unary-server-call.js';
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
        handler: (stream) => method.handler(new StreamServerCall(stream, method.mode)),
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
