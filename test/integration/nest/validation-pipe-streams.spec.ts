/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { Allow, IsInt, IsString, Min, MinLength } from 'class-validator';
// `Observable` is imported as a value, as in most apps: the parameters' design type is then the
// Observable class itself, which is what a ValidationPipe would otherwise try to validate.
import { lastValueFrom, map, Observable, reduce, toArray } from 'rxjs';
import {
  BizStatusError,
  EachMessagePipe,
  StreamPattern,
  TTStreamClient,
  TTStreamServer,
} from '../../../lib/index.js';
import { NoopHttpAdapter } from '../../helpers/noop-http-adapter.js';
import { echoIdl, request } from './harness.js';

/** One Request of the echo IDL, with validation rules. */
class EchoRequestDto {
  @IsString()
  @MinLength(1)
  message!: string;

  @Allow()
  userId!: bigint;

  @IsInt()
  @Min(0)
  count!: number;
}

const seen: { serverRequest?: unknown; eachMessage: unknown[] } = { eachMessage: [] };

@Controller()
class ValidatedController {
  // Bidirectional: the global pipe leaves the request stream alone.
  @StreamPattern('TestService.Echo')
  echo(@Payload() requests: Observable<EchoRequestDto>): Observable<unknown> {
    return requests.pipe(map((req, index) => ({ message: req.message, index })));
  }

  // Client streaming, each message validated and transformed into the DTO class.
  @StreamPattern('TestService.EchoClient')
  echoClient(
    @Payload(
      new EachMessagePipe(EchoRequestDto, new ValidationPipe({ whitelist: true, transform: true })),
    )
    requests: Observable<EchoRequestDto>,
  ): Observable<unknown> {
    return requests.pipe(
      reduce((all: string[], req) => {
        seen.eachMessage.push(req);
        return [...all, req.message];
      }, []),
      map((all) => ({ message: all.join(','), index: all.length })),
    );
  }

  // Server streaming: the one request is a DTO, validated by the global pipe as usual.
  @StreamPattern('TestService.EchoServer')
  echoServer(@Payload() req: EchoRequestDto): Observable<unknown> {
    seen.serverRequest = req;
    return new Observable((subscriber) => {
      for (let index = 0; index < req.count; index++) {
        subscriber.next({ message: req.message, index });
      }
      subscriber.complete();
    });
  }
}

@Module({ controllers: [ValidatedController] })
class ValidatedModule {}

/** A hybrid app (HTTP + microservice) with a global ValidationPipe inherited by the server. */
async function startHybrid(pipe: ValidationPipeOptions) {
  const app = await NestFactory.create(ValidatedModule, new NoopHttpAdapter(), { logger: false });
  app.useGlobalPipes(new ValidationPipe(pipe));
  const server = new TTStreamServer({ idl: echoIdl, port: 0, logger: false });
  app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.init();
  const client = new TTStreamClient({
    idl: echoIdl,
    port: server.address()?.port ?? 0,
    defaultTimeoutMs: 5000,
  });
  return {
    client,
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}

const outcome = <T>(o: Observable<T>) =>
  lastValueFrom(o.pipe(toArray())).then(
    (values) => ({ values }),
    (error: unknown) => ({ error }),
  );

it('@StreamPattern records request-stream parameters as Object, so pipes pass them through', () => {
  const types = Reflect.getMetadata(
    'design:paramtypes',
    ValidatedController.prototype,
    'echo',
  ) as unknown[];
  // @StreamPattern recorded Object in place of Observable.
  expect(types).toEqual([Object]);
});

describe.each<[string, ValidationPipeOptions]>([
  ['whitelist', { whitelist: true }],
  ['transform', { transform: true }],
  ['forbidUnknownValues', { forbidUnknownValues: true }],
  ['all three', { whitelist: true, transform: true, forbidUnknownValues: true }],
])('a global ValidationPipe (%s) in a hybrid app', (_name, options) => {
  let running: Awaited<ReturnType<typeof startHybrid>> | undefined;
  const client = () => running!.client;
  afterAll(async () => {
    await running?.close();
  });

  it('leaves bidirectional request streams working', async () => {
    running = await startHybrid(options);
    expect(
      await outcome(client().bidiStream('TestService.Echo', [request('a'), request('b')])),
    ).toEqual({
      values: [
        { message: 'a', index: 0 },
        { message: 'b', index: 1 },
      ],
    });
  });

  it('runs pipes on each message of a client stream with EachMessagePipe', async () => {
    seen.eachMessage.length = 0;
    expect(
      await outcome(client().clientStream('TestService.EchoClient', [request('x'), request('y')])),
    ).toEqual({ values: [{ message: 'x,y', index: 2 }] });
    expect(seen.eachMessage).toHaveLength(2);
    expect(seen.eachMessage[0]).toBeInstanceOf(EchoRequestDto);
  });

  it('rejects a bad message of a request stream with business error 400', async () => {
    const result = await outcome(
      client().clientStream('TestService.EchoClient', [request('ok'), request('')]),
    );
    expect('error' in result && result.error).toBeInstanceOf(BizStatusError);
    expect(result).toMatchObject({
      error: {
        bizStatusCode: 400,
        bizMessage: 'message must be longer than or equal to 1 characters',
      },
    });
  });

  it('validates the single request of a server stream against its DTO', async () => {
    expect(await outcome(client().serverStream('TestService.EchoServer', request('s', 2)))).toEqual(
      {
        values: [
          { message: 's', index: 0 },
          { message: 's', index: 1 },
        ],
      },
    );
    if (options.transform === true) expect(seen.serverRequest).toBeInstanceOf(EchoRequestDto);
    const bad = await outcome(client().serverStream('TestService.EchoServer', request('', 1)));
    expect(bad).toMatchObject({ error: { bizStatusCode: 400 } });
  });
});
