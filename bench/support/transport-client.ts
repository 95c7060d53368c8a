// The client child of `bench:transport` (forked by the driver with --expose-gc):
// `node transport-client.js ttstream|grpc <port>`. Runs one workload per driver command and
// replies with what it measured. One connection (ttstream mux pool of 1, one grpc-js channel).
import { createHistogram } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { TTStreamClientTransport } from '../../lib/transport/client-transport.js';
import type { ClientStream, StreamCall } from '../../lib/transport/client-stream.js';
import {
  type BenchMessage,
  TEXT,
  decodeMessage,
  encodeMessage,
  messageCodec,
} from './transport-payload.js';
import {
  type ClientCommand,
  type ClientReply,
  type Impl,
  METHOD_ECHO,
  METHOD_IDLE,
  METHOD_SERVER_STREAM,
  SERVICE,
  type SendStyle,
  type Workload,
  type WorkloadResult,
  exitWithParent,
  sampleMemory,
} from './transport-protocol.js';

/** A transport's client side, as the workloads use it. */
interface BenchClient {
  /** Opens one server stream asking for `count` messages; resolves with how many arrived. */
  serverStream(count: number, style: SendStyle): Promise<number>;
  /** Echoes `count` messages one at a time on one bidi stream, recording each round trip (ns). */
  bidiEcho(count: number, record: (ns: number) => void): Promise<number>;
  idleOpen(streams: number): Promise<void>;
  idleRelease(): Promise<void>;
  close(): Promise<void>;
}

function call(method: string): StreamCall<BenchMessage, BenchMessage> {
  return { service: SERVICE, method, requestCodec: messageCodec, responseCodec: messageCodec };
}

function ttstreamClient(port: number): BenchClient {
  const client = new TTStreamClientTransport(
    { host: '127.0.0.1', port },
    { pool: 'mux', poolSize: 1 },
  );
  const serverStreamCall = call(METHOD_SERVER_STREAM);
  const echoCall = call(METHOD_ECHO);
  const idleCall = call(METHOD_IDLE);
  let idle: ClientStream<BenchMessage, BenchMessage>[] = [];
  return {
    async serverStream(count, style) {
      const stream = client.openStream(serverStreamCall);
      await stream.send({ message: style, index: count });
      await stream.closeSend();
      let received = 0;
      for await (const message of stream) {
        if (message.index !== received)
          throw new Error(`out of order: ${message.index} != ${received}`);
        received++;
      }
      return received;
    },
    async bidiEcho(count, record) {
      const stream = client.openStream(echoCall);
      for (let i = 0; i < count; i++) {
        const start = process.hrtime.bigint();
        await stream.send({ message: TEXT, index: i });
        const result = await stream.recv();
        record(Number(process.hrtime.bigint() - start));
        if (result.done === true || result.value.index !== i) throw new Error('echo mismatch');
      }
      await stream.closeSend();
      const end = await stream.recv();
      if (end.done !== true) throw new Error('expected EOF');
      return count;
    },
    async idleOpen(streams) {
      for (let i = 0; i < streams; i++) idle.push(client.openStream(idleCall));
      await Promise.resolve();
    },
    async idleRelease() {
      const streams = idle;
      idle = [];
      await Promise.all(
        streams.map(async (stream) => {
          await stream.closeSend();
          await stream.done;
        }),
      );
    },
    close: () => client.close(),
  };
}

function grpcClient(port: number): BenchClient {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const path = (method: string): string => `/${SERVICE}/${method}`;
  let idle: grpc.ClientDuplexStream<BenchMessage, BenchMessage>[] = [];
  return {
    serverStream(count, style) {
      return new Promise((resolve, reject) => {
        const stream = client.makeServerStreamRequest(
          path(METHOD_SERVER_STREAM),
          encodeMessage,
          decodeMessage,
          { message: style, index: count },
        );
        let received = 0;
        stream.on('data', (message: BenchMessage) => {
          if (message.index !== received)
            reject(new Error(`out of order: ${message.index} != ${received}`));
          received++;
        });
        stream.on('error', reject);
        stream.on('status', (status: grpc.StatusObject) => {
          if (status.code === grpc.status.OK) resolve(received);
          else reject(new Error(status.details));
        });
      });
    },
    async bidiEcho(count, record) {
      const stream = client.makeBidiStreamRequest(path(METHOD_ECHO), encodeMessage, decodeMessage);
      let waiting: ((message: BenchMessage) => void) | undefined;
      const state: { failure?: Error } = {};
      stream.on('data', (message: BenchMessage) => {
        const w = waiting;
        waiting = undefined;
        w?.(message);
      });
      const finished = new Promise<void>((resolve, reject) => {
        stream.on('status', (status: grpc.StatusObject) => {
          if (status.code === grpc.status.OK) resolve();
          else reject(new Error(status.details));
        });
        stream.on('error', (error: Error) => {
          state.failure = error;
          reject(error);
        });
      });
      finished.catch(() => undefined);
      for (let i = 0; i < count; i++) {
        if (state.failure !== undefined) throw state.failure;
        const start = process.hrtime.bigint();
        const reply = new Promise<BenchMessage>((resolve) => {
          waiting = resolve;
        });
        stream.write({ message: TEXT, index: i });
        const message = await Promise.race([reply, finished.then(() => undefined)]);
        record(Number(process.hrtime.bigint() - start));
        if (message?.index !== i) throw new Error('echo mismatch');
      }
      stream.end();
      await finished;
      return count;
    },
    async idleOpen(streams) {
      for (let i = 0; i < streams; i++) {
        const metadata = new grpc.Metadata();
        metadata.set('x-bench', 'idle');
        const stream = client.makeBidiStreamRequest(
          path(METHOD_IDLE),
          encodeMessage,
          decodeMessage,
          metadata,
        );
        stream.on('error', () => undefined);
        stream.on('data', () => undefined);
        idle.push(stream);
      }
      await Promise.resolve();
    },
    async idleRelease() {
      const streams = idle;
      idle = [];
      await Promise.all(
        streams.map(
          (stream) =>
            new Promise<void>((resolve) => {
              stream.on('status', () => {
                resolve();
              });
              stream.end();
            }),
        ),
      );
    },
    close: () => {
      client.close();
      return Promise.resolve();
    },
  };
}

async function run(client: BenchClient, workload: Workload): Promise<WorkloadResult> {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const elapsed = (): number => Number(process.hrtime.bigint() - start);
  const cpuUs = (): number => {
    const used = process.cpuUsage(cpuStart);
    return used.user + used.system;
  };
  switch (workload.kind) {
    case 'serverStream': {
      const counts = await Promise.all(
        Array.from({ length: workload.streams }, () =>
          client.serverStream(workload.perStream, workload.style),
        ),
      );
      const messages = counts.reduce((a, b) => a + b, 0);
      if (messages !== workload.streams * workload.perStream)
        throw new Error(`received ${messages} messages`);
      return { messages, elapsedNs: elapsed(), cpuUs: cpuUs() };
    }
    case 'bidiEcho': {
      const histogram = createHistogram();
      const record = (ns: number): void => {
        histogram.record(Math.max(1, ns));
      };
      const counts = await Promise.all(
        Array.from({ length: workload.streams }, () => client.bidiEcho(workload.perStream, record)),
      );
      return {
        messages: counts.reduce((a, b) => a + b, 0),
        elapsedNs: elapsed(),
        cpuUs: cpuUs(),
        p50Us: histogram.percentile(50) / 1000,
        p99Us: histogram.percentile(99) / 1000,
      };
    }
    case 'idleOpen':
      await client.idleOpen(workload.streams);
      return { messages: 0, elapsedNs: elapsed() };
    case 'idleRelease':
      await client.idleRelease();
      return { messages: 0, elapsedNs: elapsed() };
    case 'memory':
      return { messages: 0, elapsedNs: 0, memory: sampleMemory() };
  }
}

function reply(message: ClientReply): void {
  process.send?.(message);
}

function main(): void {
  exitWithParent();
  const impl = process.argv[2] as Impl;
  const port = Number(process.argv[3]);
  const client = impl === 'grpc' ? grpcClient(port) : ttstreamClient(port);
  process.on('message', (command: ClientCommand | { cmd: 'stop' }) => {
    if (command.cmd === 'stop') {
      void client.close().finally(() => {
        process.disconnect();
        process.exit(0);
      });
      return;
    }
    run(client, command.workload).then(
      (result) => {
        reply({ type: 'result', id: command.id, result });
      },
      (error: unknown) => {
        reply({
          type: 'failed',
          id: command.id,
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      },
    );
  });
  reply({ type: 'ready' });
}

main();
