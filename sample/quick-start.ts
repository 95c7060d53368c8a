// The README's quick start: a Nest microservice serving one server-streaming method, and a client
// calling it. It runs as is in a Nest project (experimentalDecorators on): it prints the responses.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Payload } from '@nestjs/microservices';
import { lastValueFrom, map, type Observable, range, toArray } from 'rxjs';
import {
  loadThriftIdlFromSource,
  StreamPattern,
  TTStreamClient,
  TTStreamServer,
} from '../lib/index.js';

// The IDL, inline to keep one file; usually a .thrift file (`idl: 'idl/echo.thrift'`).
const idl = loadThriftIdlFromSource(`
  struct Request { 1: string message, 2: i64 userId, 3: i32 count }
  struct Response { 1: string message, 2: i32 index }
  service TestService {
    Response EchoServer(1: Request req) (streaming.mode="server")
  }
`);

interface Request {
  message: string;
  userId: bigint;
  count: number;
}
interface Response {
  message: string;
  index: number;
}

@Controller()
class EchoController {
  // The mode (server streaming) comes from the IDL's streaming.mode annotation.
  @StreamPattern('TestService.EchoServer')
  echoServer(@Payload() req: Request): Observable<Response> {
    return range(0, req.count).pipe(map((index) => ({ message: req.message, index })));
  }
}

@Module({ controllers: [EchoController] })
class AppModule {}

/** Starts the server on a free port, makes one call, closes both; returns the responses. */
export async function quickStart(): Promise<Response[]> {
  const server = new TTStreamServer({ idl, host: '127.0.0.1', port: 0 });
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- Nest options are plain objects
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    strategy: server,
    logger: false,
  });
  await app.listen();

  const client = new TTStreamClient({ idl, port: server.address()?.port });
  try {
    return await lastValueFrom(
      client
        .serverStream<Request, Response>('TestService.EchoServer', {
          message: 'hello',
          userId: 1n,
          count: 3,
        })
        .pipe(toArray()),
    );
  } finally {
    await client.close();
    await app.close();
  }
}

quickStart().then(
  (responses) => {
    console.log(responses); // three { message: 'hello', index } objects, index 0 to 2
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
