/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { type INestMicroservice, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { Module } from '@nestjs/common';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import { TTStreamClient, type TTStreamClientOptions } from '../../../lib/client/index.js';
import { TTStreamServer, type TTStreamServerOptions } from '../../../lib/server/index.js';

/** The echo IDL, loaded once. */
export const echoIdl = loadThriftIdl(resolve(process.cwd(), 'sample/idl/echo.thrift'));

/** A running microservice on 127.0.0.1:0. */
export interface ServerApp {
  readonly app: INestMicroservice;
  readonly server: TTStreamServer;
  readonly port: number;
}

/** Starts a Nest microservice with `metadata` on an ephemeral port. */
export async function startServerApp(
  metadata: ModuleMetadata,
  options: Partial<TTStreamServerOptions> = {},
  setup?: (app: INestMicroservice) => void,
): Promise<ServerApp> {
  @Module(metadata)
  class TestModule {}
  const server = new TTStreamServer({
    idl: echoIdl,
    port: 0,
    gracefulShutdownMs: 2000,
    ...options,
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(TestModule, {
    strategy: server,
    logger: false,
  });
  setup?.(app);
  await app.listen();
  const port = server.address()?.port;
  if (port === undefined) throw new Error('no port');
  return { app, server, port };
}

/** A client for `port`. */
export function clientFor(
  port: number,
  options: Partial<TTStreamClientOptions> = {},
): TTStreamClient {
  return new TTStreamClient({ idl: echoIdl, port, transportOptions: { poolSize: 1 }, ...options });
}

/** A Request value of the echo IDL. */
export function request(message: string, count = 0) {
  return { message, userId: 1n, count };
}
