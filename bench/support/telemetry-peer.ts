/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
// A child of bench:telemetry, forked by the driver with IPC:
//   node telemetry-peer.js server <case>          the sample TestService (Nest) on 127.0.0.1:0
//   node telemetry-peer.js client <case> <port>   a TTStreamClient running the driver's workloads
// <case> is a TelemetryCase (telemetry-protocol.ts). Before anything else the child checks the
// case's premise: `@opentelemetry/api` resolves (and lib's loader finds it) in every case but
// `absent`, where it must not (the driver preloads hide-otel-api.js there).
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { Observable, type Subscriber } from 'rxjs';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { TTStreamClient, TTStreamExceptionFilter, TTStreamServer } from '../../lib/index.js';
import { openTelemetry } from '../../lib/telemetry/index.js';
import { loadOtelApi } from '../../lib/telemetry/otel/load-otel-api.js';
import { type TTStreamTelemetryOption } from '../../lib/telemetry/rpc-lifecycle.js';
import type { Request, Response } from '../../sample/generated/echo.js';
import { ECHO_IDL_FILE } from '../../sample/package-root.js';
import { EchoServerModule } from '../../sample/server/app.module.js';
import {
  type PeerCommand,
  type PeerReply,
  type Recorded,
  SPLIT_CASES,
  type TelemetryCase,
  TELEMETRY_CASES,
  TEXT,
  type Workload,
  type WorkloadResult,
  withSdk,
} from './telemetry-protocol.js';

const NOTHING: Recorded = { spans: 0, points: 0, metrics: [] };

function reply(message: PeerReply): void {
  process.send?.(message);
}

/** Whether `@opentelemetry/api` resolves here and lib's loader finds it; throws if they disagree. */
function otelApiPresent(): boolean {
  let resolves = true;
  try {
    createRequire(import.meta.url).resolve('@opentelemetry/api');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    resolves = false;
  }
  const loaded = loadOtelApi() !== undefined;
  if (loaded !== resolves) {
    throw new Error(`@opentelemetry/api resolves: ${resolves}, but loadOtelApi() says ${loaded}`);
  }
  return loaded;
}

/** How many modules of `@opentelemetry/*` packages this process has loaded (CJS cache). */
function otelModulesLoaded(): number {
  const cache = createRequire(import.meta.url).cache;
  return Object.keys(cache).filter((path) => path.includes('/node_modules/@opentelemetry/')).length;
}

/** The case's `telemetry` option: false, the default, or OpenTelemetry cut in half. */
function telemetryOption(kind: TelemetryCase): { telemetry?: TTStreamTelemetryOption } {
  switch (kind) {
    case 'off':
    case 'sdk-off':
      return { telemetry: false };
    case 'sdk-traces':
      return { telemetry: openTelemetry({ metrics: false }) };
    case 'sdk-metrics':
      return { telemetry: openTelemetry({ tracing: false }) };
    case 'api':
    case 'sdk':
    case 'absent':
      return {};
  }
}

function request(count: number, message = TEXT): Request {
  return { message, userId: 1n, count };
}

/** Echoes `count` messages on one bidi stream, the next one sent when the last came back. */
function bidiEcho(client: TTStreamClient, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let sink: Subscriber<Request> | undefined;
    const requests = new Observable<Request>((subscriber) => {
      sink = subscriber;
      subscriber.next(request(0));
    });
    let received = 0;
    client.bidiStream<Request, Response>('TestService.Echo', requests).subscribe({
      next: (response) => {
        if (response.index !== received) {
          reject(new Error(`echo ${received} came back as ${response.index}`));
          return;
        }
        received++;
        if (received < count) sink?.next(request(received));
        else sink?.complete();
      },
      error: reject,
      complete: () => {
        if (received === count) resolve(received);
        else reject(new Error(`echo ended after ${received} of ${count}`));
      },
    });
  });
}

/** One server stream of `count` messages; resolves with how many arrived, in order. */
function serverStream(client: TTStreamClient, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    client.serverStream<Request, Response>('TestService.EchoServer', request(count)).subscribe({
      next: (response) => {
        if (response.index !== received) reject(new Error(`message ${received} out of order`));
        received++;
      },
      error: reject,
      complete: () => {
        if (received === count) resolve(received);
        else reject(new Error(`stream ended after ${received} of ${count}`));
      },
    });
  });
}

async function runWorkload(client: TTStreamClient, workload: Workload): Promise<WorkloadResult> {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let messages = 0;
  if (workload.kind === 'bidiEcho') {
    const counts = await Promise.all(
      Array.from({ length: workload.streams }, () => bidiEcho(client, workload.perStream)),
    );
    messages = counts.reduce((a, b) => a + b, 0);
  } else {
    let opened = 0;
    const worker = async (): Promise<void> => {
      while (opened < workload.streams) {
        opened++;
        // Not `messages += await ...`: that reads `messages` before the await, losing counts.
        const received = await serverStream(client, workload.perStream);
        messages += received;
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(workload.concurrency, workload.streams) }, worker),
    );
  }
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const cpu = process.cpuUsage(cpuBefore);
  return { messages, elapsedNs, cpuUs: cpu.user + cpu.system };
}

async function main(): Promise<void> {
  process.once('disconnect', () => process.exit(0));
  const [role, kindArg, portArg] = process.argv.slice(2);
  const kind = kindArg as TelemetryCase;
  const known = [...TELEMETRY_CASES, ...SPLIT_CASES].includes(kind);
  if (!known || (role !== 'server' && role !== 'client')) {
    throw new Error('usage: telemetry-peer.js server|client <case> [port]');
  }
  const otelApi = otelApiPresent();
  if (otelApi === (kind === 'absent')) {
    throw new Error(`case ${kind}: @opentelemetry/api ${otelApi ? 'resolves' : 'is missing'}`);
  }
  // Registered before the server or client exists, as an application starts its SDK first.
  const sdkModule = withSdk(kind) ? await import('./telemetry-sdk.js') : undefined;
  const sdk = sdkModule?.registerSdk();
  if (kind === 'sdk-off') sdkModule?.activateContext();
  const recorded = (): Promise<Recorded> => sdk?.recorded() ?? Promise.resolve(NOTHING);
  const idl = loadThriftIdl(ECHO_IDL_FILE);

  let stop: () => Promise<void>;
  let port = 0;
  let client: TTStreamClient | undefined;
  if (role === 'server') {
    const server = new TTStreamServer({
      idl,
      host: '127.0.0.1',
      port: 0,
      ...telemetryOption(kind),
    });
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoServerModule, {
      strategy: server,
      logger: false,
    });
    app.useGlobalFilters(new TTStreamExceptionFilter());
    await app.listen();
    port = server.address()?.port ?? 0;
    stop = () => app.close();
  } else {
    const connected = new TTStreamClient({
      idl,
      host: '127.0.0.1',
      port: Number(portArg),
      logger: false,
      ...telemetryOption(kind),
    });
    client = connected;
    await connected.connect();
    stop = () => connected.close();
  }

  process.on('message', (command: PeerCommand) => {
    switch (command.cmd) {
      case 'run':
        if (client === undefined) return;
        runWorkload(client, command.workload).then(
          (result) => {
            reply({ type: 'result', id: command.id, result });
          },
          (error: unknown) => {
            reply({ type: 'failed', id: command.id, message: String(error) });
          },
        );
        return;
      case 'stats': {
        const cpu = process.cpuUsage();
        const otelModules = otelModulesLoaded();
        void recorded().then((r) => {
          reply({ type: 'stats', cpuUs: cpu.user + cpu.system, recorded: r, otelModules });
        });
        return;
      }
      case 'stop':
        void stop()
          .then(() => sdk?.shutdown())
          .finally(() => process.exit(0));
        return;
    }
  });
  reply({ type: 'ready', port, otelApi });
}

main().catch((error: unknown) => {
  reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
