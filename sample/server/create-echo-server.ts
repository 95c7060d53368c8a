/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { loadThriftIdl } from '../../lib/idl/index.js';
import {
  TTStreamExceptionFilter,
  TTStreamServer,
  type TTStreamServerOptions,
} from '../../lib/index.js';
import { ECHO_IDL_FILE } from '../package-root.js';
import { EchoServerModule } from './app.module.js';

/** Where the sample server listens: `TTSTREAM_HOST`/`TTSTREAM_PORT`, default 127.0.0.1:8888. */
export function serverAddressFromEnv(env: NodeJS.ProcessEnv = process.env): {
  host: string;
  port: number;
} {
  const port = Number(env['TTSTREAM_PORT'] ?? '8888');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`TTSTREAM_PORT must be a port number, got '${String(env['TTSTREAM_PORT'])}'`);
  }
  return { host: env['TTSTREAM_HOST'] ?? '127.0.0.1', port };
}

/** The sample server's transport options read from the environment. */
export type EchoTransportOptions = NonNullable<TTStreamServerOptions['transportOptions']>;

/**
 * Read timeouts of the sample server, in ms, from `TTSTREAM_FRAME_TIMEOUT_MS` (a started frame
 * must complete within it) and `TTSTREAM_FIRST_FRAME_TIMEOUT_MS` (a new connection must complete
 * its first frame within it); 0 disables one, unset keeps the transport's default (60 s, 30 s).
 */
export function transportOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): EchoTransportOptions {
  const frameTimeoutMs = msFromEnv(env, 'TTSTREAM_FRAME_TIMEOUT_MS');
  const firstFrameTimeoutMs = msFromEnv(env, 'TTSTREAM_FIRST_FRAME_TIMEOUT_MS');
  return {
    ...(frameTimeoutMs === undefined ? {} : { frameTimeoutMs }),
    ...(firstFrameTimeoutMs === undefined ? {} : { firstFrameTimeoutMs }),
  };
}

function msFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new Error(`${name} must be a whole number of milliseconds, got '${raw}'`);
  }
  return ms;
}

/** A listening sample server and the port it got. */
export interface EchoServer {
  readonly app: INestMicroservice;
  readonly host: string;
  readonly port: number;
}

/** Builds and starts the sample `TestService` microservice. */
export async function startEchoServer(
  address: { host: string; port: number },
  logger?: false,
  transportOptions: EchoTransportOptions = {},
): Promise<EchoServer> {
  const server = new TTStreamServer({
    idl: loadThriftIdl(ECHO_IDL_FILE),
    ...address,
    transportOptions,
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoServerModule, {
    strategy: server,
    ...(logger === false ? { logger: false } : {}),
  });
  // Errors of @MessagePattern handlers, guards and interceptors keep their meaning (a plain
  // Error reaches the client as `biz error: <message>`, as from a Kitex server).
  app.useGlobalFilters(new TTStreamExceptionFilter());
  await app.listen();
  const bound = server.address();
  return { app, host: bound?.address ?? address.host, port: bound?.port ?? address.port };
}
