/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
// One fleet instance, forked with IPC by test/helpers/fleet-instance-process.ts (for
// `npm run bench:fleet` and the fault tests in test/fleet): the sample `TestService` module on
// 127.0.0.1 and a free port, published in etcd (FLEET_ETCD) by EtcdRegistry as service `echo` with
// the tag `instance` = FLEET_NAME. A global interceptor counts the EchoUnary calls it served and
// sends FLEET_NAME back in the HEADER of every stream (`x-instance`); the parent asks for the
// count and the process's CPU time over IPC ({ cmd: 'count' }) and stops it ({ cmd: 'stop' }, or
// SIGTERM: deregister, then drain). Optional variables, for the fault tests:
// FLEET_LEASE_TTL_S (lease TTL), FLEET_CHECK_MS (registry check and retry interval),
// FLEET_GRACE_MS (grace period of close), FLEET_DRAIN_DELAY_MS (pause between deregistering and
// draining), FLEET_STREAM_INTERVAL_MS (pause before each EchoServer message).
import 'reflect-metadata';
import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { concatMap, delay, type Observable, of } from 'rxjs';
import { EtcdRegistry } from '../lib/discovery/etcd/index.js';
import { loadThriftIdl } from '../lib/idl/index.js';
import { TTStreamExceptionFilter, TTStreamServer, type TTStreamContext } from '../lib/index.js';
import { ECHO_IDL_FILE } from '../sample/package-root.js';
import { EchoServerModule } from '../sample/server/app.module.js';

/** Messages this process sends to its parent. */
export type FleetInstanceReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'count'; readonly count: number; readonly cpuUs: number }
  /** The registry put the key back after it vanished (etcd lost it, or the lease was lost). */
  | { readonly type: 'reregistered'; readonly key: string }
  | { readonly type: 'error'; readonly message: string };

/** Commands this process accepts. */
export type FleetInstanceCommand = { readonly cmd: 'count' } | { readonly cmd: 'stop' };

let served = 0;

/** A non-negative integer variable, or undefined when unset. */
function optionalInt(key: string): number | undefined {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw))
    throw new Error(`fleet-instance: ${key} must be an integer, got '${raw}'`);
  return Number(raw);
}

const streamIntervalMs = optionalInt('FLEET_STREAM_INTERVAL_MS') ?? 0;
const STREAM_METHODS = new Set(['Echo', 'EchoClient', 'EchoServer', 'ServerStreamWithErr']);

/**
 * Counts the EchoUnary calls that reached the handler; tells each stream's client which instance
 * serves it (`x-instance` header) and, when FLEET_STREAM_INTERVAL_MS is set, paces EchoServer.
 */
class CountingInterceptor implements NestInterceptor {
  constructor(private readonly instance: string) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = context.getHandler().name;
    if (method === 'EchoUnary') served++;
    if (!STREAM_METHODS.has(method)) return next.handle();
    context.switchToRpc().getContext<TTStreamContext>().setHeader('x-instance', this.instance);
    if (method !== 'EchoServer' || streamIntervalMs === 0) return next.handle();
    return next.handle().pipe(concatMap((message) => of(message).pipe(delay(streamIntervalMs))));
  }
}

function reply(message: FleetInstanceReply): void {
  process.send?.(message);
}

const endpoint = process.env['FLEET_ETCD'];
const name = process.env['FLEET_NAME'];
if (endpoint === undefined || name === undefined || process.send === undefined) {
  throw new Error('fleet-instance: run by fleet-instance-process.ts (FLEET_ETCD, FLEET_NAME, IPC)');
}

try {
  const leaseTtlSeconds = optionalInt('FLEET_LEASE_TTL_S');
  const checkIntervalMs = optionalInt('FLEET_CHECK_MS');
  const gracefulShutdownMs = optionalInt('FLEET_GRACE_MS');
  const drainDelayMs = optionalInt('FLEET_DRAIN_DELAY_MS');
  const registry = new EtcdRegistry({
    endpoints: [endpoint],
    ...(leaseTtlSeconds === undefined ? {} : { leaseTtlSeconds }),
    ...(checkIntervalMs === undefined ? {} : { checkIntervalMs, retryIntervalMs: checkIntervalMs }),
    onReregistered: (key) => {
      reply({ type: 'reregistered', key });
    },
  });
  const server = new TTStreamServer({
    idl: loadThriftIdl(ECHO_IDL_FILE),
    host: '127.0.0.1',
    port: 0,
    ...(gracefulShutdownMs === undefined ? {} : { gracefulShutdownMs }),
    registry: {
      registry,
      serviceName: 'echo',
      tags: { instance: name },
      required: true,
      ...(drainDelayMs === undefined ? {} : { drainDelayMs }),
    },
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoServerModule, {
    strategy: server,
    logger: false,
  });
  app.useGlobalFilters(new TTStreamExceptionFilter());
  app.useGlobalInterceptors(new CountingInterceptor(name));
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
