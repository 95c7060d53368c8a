/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BadRequestException, Controller, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Payload } from '@nestjs/microservices';
import { lastValueFrom, toArray } from 'rxjs';
import {
  BizStatusError,
  StreamPattern,
  TTStreamExceptionFilter,
  TTStreamServer,
  type TTStreamServerOptions,
} from '../../../lib/index.js';
import { clientFor, echoIdl, request } from './harness.js';
import { waitFor } from '../../helpers/wait.js';

/** A LoggerService that keeps every line with its level and context. */
class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: string; context: string | undefined }[] = [];
  private push(level: string, message: unknown, params: unknown[]) {
    const context = params.at(-1);
    this.lines.push({
      level,
      message: String(message),
      context: typeof context === 'string' ? context : undefined,
    });
  }
  log(message: unknown, ...params: unknown[]) {
    this.push('log', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.push('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.push('error', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.push('debug', message, params);
  }
  verbose() {}
  fatal(message: unknown, ...params: unknown[]) {
    this.push('fatal', message, params);
  }
  at(level: string) {
    return this.lines.filter((l) => l.level === level);
  }
}

@Controller()
class FailingController {
  @StreamPattern('TestService.ServerStreamWithErr')
  async *fail(@Payload() req: { message: string }) {
    yield { message: 'first', index: 0 };
    if (req.message === 'biz') throw new BizStatusError(10001, 'insufficient user balance');
    if (req.message === 'bad') throw new BadRequestException('bad request');
    throw new Error(`boom ${req.message}`);
  }
}

@Module({ controllers: [FailingController] })
class LoggingModule {}

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.close();
});

async function start(
  appLogger: LoggerService,
  options: Partial<TTStreamServerOptions> = {},
  withFilter = false,
) {
  const server = new TTStreamServer({ idl: echoIdl, port: 0, gracefulShutdownMs: 500, ...options });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(LoggingModule, {
    strategy: server,
    logger: appLogger,
  });
  if (withFilter) app.useGlobalFilters(new TTStreamExceptionFilter());
  await app.listen();
  running.push(app);
  const port = server.address()?.port ?? 0;
  return { app, server, port };
}

async function call(port: number, message: string) {
  const client = clientFor(port);
  try {
    return await lastValueFrom(
      client.serverStream('TestService.ServerStreamWithErr', request(message)).pipe(toArray()),
    ).catch((e: unknown) => e);
  } finally {
    await client.close();
  }
}

describe("the server logs through Nest's Logger (context TTStreamServer)", () => {
  it('logs the bound address at listen and the shutdown progress', async () => {
    const logger = new CapturingLogger();
    const { app, port } = await start(logger);
    expect(logger.lines).toContainEqual({
      level: 'log',
      message: `Listening on 127.0.0.1:${port}`,
      context: 'TTStreamServer',
    });
    running.pop();
    await app.close();
    const closing = logger.lines
      .filter((l) => l.context === 'TTStreamServer')
      .map((l) => l.message);
    expect(closing).toContain('Closing: no new streams; in-flight streams have 500 ms to finish');
    expect(closing.at(-1)).toBe('Closed');
  });

  it('logs bytes that are not TTHeader at WARN with the peer address', async () => {
    const logger = new CapturingLogger();
    const { port } = await start(logger);
    const socket = connect(port, '127.0.0.1');
    const local = await new Promise<number>((resolve) => {
      socket.on('connect', () => {
        resolve(socket.localPort ?? 0);
      });
    });
    socket.on('error', () => undefined);
    socket.end(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await waitFor(() => logger.at('warn').length > 0);
    const [warn] = logger.at('warn');
    expect(warn?.context).toBe('TTStreamServer');
    expect(warn?.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${local}: `));
  });

  it('a plain error from a generator is logged at ERROR exactly once; expected rejections never', async () => {
    for (const withFilter of [false, true]) {
      const logger = new CapturingLogger();
      const { port } = await start(logger, {}, withFilter);
      expect(await call(port, 'x')).toMatchObject({ applicationMessage: 'biz error: boom x' });
      await waitFor(() => logger.at('error').length > 0);
      expect(await call(port, 'biz')).toMatchObject({ bizStatusCode: 10001 });
      expect(await call(port, 'bad')).toMatchObject({ bizStatusCode: 400 });
      // Another plain failure, so a late duplicate of the first would show by now.
      expect(await call(port, 'y')).toMatchObject({ applicationMessage: 'biz error: boom y' });
      await waitFor(() => logger.at('error').length >= 2);
      const errors = logger.at('error').map((l) => l.message);
      expect(errors).toHaveLength(2);
      expect(errors.filter((m) => m.includes('boom x'))).toHaveLength(1);
      expect(errors.join('\n')).not.toMatch(/insufficient|bad request/);
    }
  });

  it('logger: false keeps the server silent; a LoggerService of its own gets the lines', async () => {
    const appLogger = new CapturingLogger();
    const own = new CapturingLogger();
    await start(appLogger, { logger: false });
    expect(appLogger.lines.filter((l) => l.context === 'TTStreamServer')).toEqual([]);
    const { port } = await start(appLogger, { logger: own });
    expect(own.lines).toContainEqual({
      level: 'log',
      message: `Listening on 127.0.0.1:${port}`,
      context: 'TTStreamServer',
    });
  });
});
