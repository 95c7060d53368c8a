/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
// One instance of the fleet benchmark (bench/fleet.bench.ts), forked with IPC: the sample
// `TestService` module on 127.0.0.1 and a free port, published in etcd (FLEET_ETCD) as service
// `echo` with the tag `instance` = FLEET_NAME. A global interceptor counts the EchoUnary calls it
// served; the parent asks for the count and the process's CPU time over IPC ({ cmd: 'count' }) and
// stops it ({ cmd: 'stop' }).
import 'reflect-metadata';
import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import { EtcdRegistry } from '../lib/discovery/etcd/index.js';
import { loadThriftIdl } from '../lib/idl/index.js';
import { TTStreamExceptionFilter, TTStreamServer } from '../lib/index.js';
import { ECHO_IDL_FILE } from '../sample/package-root.js';
import { EchoServerModule } from '../sample/server/app.module.js';

/** Messages this process sends to its parent. */
export type FleetInstanceReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'count'; readonly count: number; readonly cpuUs: number }
  | { readonly type: 'error'; readonly message: string };

/** Commands this process accepts. */
export type FleetInstanceCommand = { readonly cmd: 'count' } | { readonly cmd: 'stop' };

let served = 0;

/** Counts the EchoUnary calls that reached the handler. */
class CountingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getHandler().name === 'EchoUnary') served++;
    return next.handle();
  }
}

function reply(message: FleetInstanceReply): void {
  process.send?.(message);
}

const endpoint = process.env['FLEET_ETCD'];
const name = process.env['FLEET_NAME'];
if (endpoint === undefined || name === undefined || process.send === undefined) {
  throw new Error('fleet-instance: run by bench/fleet.bench.ts (FLEET_ETCD, FLEET_NAME, IPC)');
}

try {
  const server = new TTStreamServer({
    idl: loadThriftIdl(ECHO_IDL_FILE),
    host: '127.0.0.1',
    port: 0,
    registry: {
      registry: new EtcdRegistry({ endpoints: [endpoint] }),
      serviceName: 'echo',
      tags: { instance: name },
      required: true,
    },
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoServerModule, {
    strategy: server,
    logger: false,
  });
  app.useGlobalFilters(new TTStreamExceptionFilter());
  app.useGlobalInterceptors(new CountingInterceptor());
  await app.listen();

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`fleet-instance ${name}: close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('message', (message: FleetInstanceCommand) => {
    if (message.cmd === 'count') {
      const cpu = process.cpuUsage();
      reply({ type: 'count', count: served, cpuUs: cpu.user + cpu.system });
    } else stop();
  });
  // The parent died or closed the channel: do not linger.
  process.once('disconnect', stop);
  process.once('SIGTERM', stop);
  reply({ type: 'ready', port: server.address()?.port ?? 0 });
} catch (error) {
  reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
