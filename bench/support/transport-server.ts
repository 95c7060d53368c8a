// The server child of `bench:transport` (forked by the driver with --expose-gc):
// `node transport-server.js ttstream|grpc`. Serves the same three methods on both transports:
//   ServerStream (server streaming): the request's `index` is how many 1 KB messages to send;
//     its `message` is the send style ('await': await each send / drain; 'window': keep up to
//     WINDOW sends in flight).
//   Echo (bidi): echoes each message.
//   Idle (bidi): reads until the client half-closes, sending nothing (memory per idle stream).
import * as grpc from '@grpc/grpc-js';
import { TTStreamServerTransport } from '../../lib/transport/server-transport.js';
import type { ServerStream } from '../../lib/transport/server-stream.js';
import {
  type BenchMessage,
  TEXT,
  decodeMessage,
  encodeMessage,
  messageCodec,
} from './transport-payload.js';
import {
  type Impl,
  METHOD_ECHO,
  METHOD_IDLE,
  METHOD_SERVER_STREAM,
  SERVICE,
  type ServerCommand,
  type ServerReply,
  exitWithParent,
  sampleMemory,
} from './transport-protocol.js';

/** Sends kept in flight by the 'window' style. */
const WINDOW = 256;

let active = 0;

function reply(message: ServerReply): void {
  process.send?.(message);
}

async function ttstreamServerStream(
  stream: ServerStream<BenchMessage, BenchMessage>,
): Promise<void> {
  const first = await stream.recv();
  if (first.done === true) return;
  const count = first.value.index;
  if (first.value.message === 'window') {
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      inFlight.push(stream.send({ message: TEXT, index: i }));
      if (inFlight.length >= WINDOW) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return;
  }
  for (let i = 0; i < count; i++) await stream.send({ message: TEXT, index: i });
}

async function startTTStream(): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = new TTStreamServerTransport({ idleTimeoutMs: 0, gracePeriodMs: 100 });
  server.register(SERVICE, METHOD_SERVER_STREAM, {
    mode: 'server',
    requestCodec: messageCodec,
    responseCodec: messageCodec,
    handler: ttstreamServerStream,
  });
  server.register(SERVICE, METHOD_ECHO, {
    mode: 'bidirectional',
    requestCodec: messageCodec,
    responseCodec: messageCodec,
    handler: async (stream) => {
      for await (const message of stream) await stream.send(message);
    },
  });
  server.register(SERVICE, METHOD_IDLE, {
    mode: 'bidirectional',
    requestCodec: messageCodec,
    responseCodec: messageCodec,
    handler: async (stream) => {
      active++;
      try {
        let received = 0;
        for await (const message of stream) received += message.index;
        if (received < 0) throw new Error('impossible');
      } finally {
        active--;
      }
    },
  });
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  if (!('port' in address)) throw new Error('expected a TCP address');
  return { port: address.port, stop: () => server.close() };
}

function grpcMethod(
  path: string,
  requestStream: boolean,
  responseStream: boolean,
): grpc.MethodDefinition<BenchMessage, BenchMessage> {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: encodeMessage,
    requestDeserialize: decodeMessage,
    responseSerialize: encodeMessage,
    responseDeserialize: decodeMessage,
  };
}

/** The grpc-js service definition of the three methods (no .proto: the same hand-written bytes). */
export const GRPC_SERVICE: grpc.ServiceDefinition = {
  [METHOD_SERVER_STREAM]: grpcMethod(`/${SERVICE}/${METHOD_SERVER_STREAM}`, false, true),
  [METHOD_ECHO]: grpcMethod(`/${SERVICE}/${METHOD_ECHO}`, true, true),
  [METHOD_IDLE]: grpcMethod(`/${SERVICE}/${METHOD_IDLE}`, true, true),
};

function waitDrain(call: grpc.ServerWritableStream<BenchMessage, BenchMessage>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.removeListener('drain', done);
      call.removeListener('cancelled', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
  });
}

async function grpcServerStream(
  call: grpc.ServerWritableStream<BenchMessage, BenchMessage>,
): Promise<void> {
  const count = call.request.index;
  for (let i = 0; i < count; i++) {
    if (call.cancelled) return;
    if (!call.write({ message: TEXT, index: i })) await waitDrain(call);
  }
  call.end();
}

async function startGrpc(): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = new grpc.Server();
  server.addService(GRPC_SERVICE, {
    [METHOD_SERVER_STREAM]: (call: grpc.ServerWritableStream<BenchMessage, BenchMessage>) => {
      grpcServerStream(call).catch((error: unknown) => {
        call.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    },
    [METHOD_ECHO]: (call: grpc.ServerDuplexStream<BenchMessage, BenchMessage>) => {
      call.on('data', (message: BenchMessage) => {
        call.write(message);
      });
      call.on('end', () => {
        call.end();
      });
      call.on('error', () => undefined);
    },
    [METHOD_IDLE]: (call: grpc.ServerDuplexStream<BenchMessage, BenchMessage>) => {
      active++;
      let counted = true;
      const release = (): void => {
        if (counted) active--;
        counted = false;
      };
      call.on('data', () => undefined);
      call.on('end', () => {
        release();
        call.end();
      });
      call.on('cancelled', release);
      call.on('error', release);
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error === null) resolve(bound);
      else reject(error);
    });
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          resolve();
        });
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      }),
  };
}

async function main(): Promise<void> {
  exitWithParent();
  const impl = process.argv[2] as Impl;
  const { port, stop } = impl === 'grpc' ? await startGrpc() : await startTTStream();
  process.on('message', (command: ServerCommand) => {
    switch (command.cmd) {
      case 'memory':
        reply({ type: 'memory', memory: sampleMemory() });
        return;
      case 'active':
        reply({ type: 'active', active });
        return;
      case 'cpu':
        reply({ type: 'cpu', cpu: process.cpuUsage() });
        return;
      case 'stop':
        void stop().finally(() => {
          // Leave through the normal exit path so --cpu-prof writes its profile.
          process.disconnect();
          process.exit(0);
        });
        return;
    }
  });
  reply({ type: 'ready', port });
}

main().catch((error: unknown) => {
  reply({ type: 'error', message: String(error) });
  process.exit(1);
});
