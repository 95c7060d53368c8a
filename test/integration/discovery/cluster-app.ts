/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
// A Nest TTStreamServer app scaled out with node:cluster, for cluster-shared-port.spec.ts
// (compiled there with tsconfig.run.json's settings and run as a real process).
//
// Primary: forks CLUSTER_WORKERS workers (default 3) and prints
// `cluster listening on 127.0.0.1:<port> workers <pid>,<pid>,...` once every worker listens.
// With CLUSTER_ETCD set it then registers the shared address once, in etcd, as service
// `cluster-echo` (the primary owns the listening socket: it lives as long as the address is
// served). On SIGTERM or SIGINT it deregisters first, then sends SIGTERM to every worker, waits
// for them (SIGKILL after 10 s) and exits 0.
//
// Worker: the TestService app on TTSTREAM_PORT (default 0: the primary picks one port and every
// worker shares it; the primary hands each accepted connection to a worker in turn). Replies
// carry the worker's pid. On SIGTERM it closes the app (graceful drain) and exits 0.
import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, type MicroserviceOptions, Payload } from '@nestjs/microservices';
import { EtcdRegistry, type RegistryInfo } from '../../../lib/discovery/index.js';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import { StreamPattern, TTStreamServer } from '../../../lib/index.js';
import { ECHO_IDL_FILE } from '../../../sample/package-root.js';

/** What a worker tells the primary once it listens. */
interface Listening {
  readonly type: 'listening';
  readonly pid: number;
  readonly port: number;
}

const HOST = '127.0.0.1';
const SERVICE = 'cluster-echo';

interface Reply {
  message: string;
  index: number;
}

@Controller()
class PidController {
  @MessagePattern('TestService.EchoUnary')
  EchoUnary(@Payload() req: { count: number }): Reply {
    return { message: `pid:${process.pid}`, index: req.count };
  }

  /** `count` messages carrying the pid; 'slow' waits 50 ms before each. */
  @StreamPattern('TestService.EchoServer')
  async *EchoServer(@Payload() req: { message: string; count: number }): AsyncGenerator<Reply> {
    for (let index = 0; index < req.count; index++) {
      if (req.message === 'slow') await new Promise((r) => setTimeout(r, 50));
      yield { message: `pid:${process.pid}`, index };
    }
  }
}

@Module({ controllers: [PidController] })
class PidModule {}

async function runWorker(): Promise<void> {
  const server = new TTStreamServer({
    idl: loadThriftIdl(ECHO_IDL_FILE),
    host: HOST,
    port: Number(process.env['TTSTREAM_PORT'] ?? '0'),
    gracefulShutdownMs: 5000,
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(PidModule, {
    strategy: server,
    logger: false,
  });
  await app.listen();
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`worker ${process.pid}: close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  // A terminal's Ctrl-C reaches the whole process group: the primary coordinates the stop.
  process.on('SIGINT', () => undefined);
  const listening: Listening = {
    type: 'listening',
    pid: process.pid,
    port: server.address()?.port ?? 0,
  };
  process.send?.(listening);
}

async function runPrimary(): Promise<void> {
  const count = Number(process.env['CLUSTER_WORKERS'] ?? '3');
  const workers: Worker[] = [];
  const ready = new Map<number, number>();
  const allListening = new Promise<void>((resolve, reject) => {
    cluster.on('message', (_worker, message: Partial<Listening>) => {
      if (message.type !== 'listening' || message.pid === undefined) return;
      ready.set(message.pid, message.port ?? 0);
      if (ready.size === count) resolve();
    });
    cluster.on('exit', (worker, code, signal) => {
      if (ready.size < count)
        reject(new Error(`worker ${worker.process.pid} exited: ${signal || String(code)}`));
    });
  });
  for (let i = 0; i < count; i++) workers.push(cluster.fork());
  await allListening;
  const ports = new Set(ready.values());
  if (ports.size !== 1)
    throw new Error(`workers listen on different ports: ${[...ports].join(',')}`);
  const [port] = ports as unknown as [number];

  // One record for the one shared address, kept by the process that owns the socket.
  const endpoint = process.env['CLUSTER_ETCD'];
  const registry = endpoint === undefined ? undefined : new EtcdRegistry({ endpoints: [endpoint] });
  const info: RegistryInfo = { serviceName: SERVICE, host: HOST, port };
  await registry?.register(info);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Deregister first: clients stop choosing the address while the workers still serve.
    await registry?.deregister(info).catch((error: unknown) => {
      console.error(`deregister failed: ${String(error)}`);
    });
    await registry?.close();
    console.log('primary: deregistered; stopping workers');
    const exits = workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), 10_000);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
    console.log('cluster stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // Announced once the handlers are in place: the test may send SIGTERM as soon as it reads it.
  console.log(`cluster listening on ${HOST}:${port} workers ${[...ready.keys()].join(',')}`);
}

if (cluster.isPrimary) {
  runPrimary().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  runWorker().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
