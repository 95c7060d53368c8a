/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { TTStreamServer } from '../../lib/index.js';
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
): Promise<EchoServer> {
  const server = new TTStreamServer({ idl: loadThriftIdl(ECHO_IDL_FILE), ...address });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoServerModule, {
    strategy: server,
    ...(logger === false ? { logger: false } : {}),
  });
  await app.listen();
  const bound = server.address();
  return { app, host: bound?.address ?? address.host, port: bound?.port ?? address.port };
}
