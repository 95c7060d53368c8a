/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import {
  StreamPattern,
  TTStreamClient,
  TTStreamError,
  TTStreamServer,
  TTSTREAM_TRANSPORT,
} from '../../../lib/index.js';
import { type TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import { type TTStreamServerTransport } from '../../../lib/transport/server-transport.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import { echoIdl, request, type ServerApp, startServerApp } from './harness.js';
import { waitFor } from '../../helpers/wait.js';

/** A plain `@MessagePattern` handler of another transport: never bound to TTStreamServer. */
@Controller()
class OtherTransportController {
  @MessagePattern('TestService.Echo', Symbol.for('other-transport'))
  other(@Payload() data: unknown): unknown {
    return data;
  }
}

/** The dynamic module's class of the registerAsync test. */
@Module({})
class AsyncClientModule {}

@Injectable()
class EchoConsumer {
  constructor(@Inject('ECHO') readonly client: TTStreamClient) {}
}

describe('Nest wiring', () => {
  let s: ServerApp;
  beforeAll(async () => {
    s = await startServerApp({ controllers: [EchoController, OtherTransportController] });
  });
  afterAll(async () => {
    await s.app.close();
  });

  it('TTStreamServer: transportId, status, on(), unwrap()', async () => {
    expect(s.server.transportId).toBe(TTSTREAM_TRANSPORT);
    expect(await firstValueFrom(s.server.status)).toBe('listening');
    expect(s.server.unwrap<TTStreamServerTransport>().stats().connections).toBeGreaterThanOrEqual(
      0,
    );
    const opened: string[] = [];
    s.server.on('stream:open', (ctx) => opened.push(ctx.getPattern()));
    const client = new TTStreamClient({ idl: echoIdl, port: s.port });
    try {
      await lastValueFrom(client.serverStream('TestService.EchoServer', request('o', 1)));
      expect(opened).toEqual(['TestService.EchoServer']);
    } finally {
      await client.close();
    }
  });

  it('ClientsModule.register(customClass) injects a client closed on shutdown; send() and emit()', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClientsModule.register([
          { name: 'ECHO', customClass: TTStreamClient, options: { idl: echoIdl, port: s.port } },
        ]),
      ],
      providers: [EchoConsumer],
    }).compile();
    const app = await moduleRef.init();
    const { client } = app.get(EchoConsumer);
    expect(client).toBeInstanceOf(TTStreamClient);
    expect(
      await lastValueFrom(client.send('TestService.EchoServer', request('s', 2)).pipe(toArray())),
    ).toHaveLength(2);
    expect(
      await lastValueFrom(client.send('TestService.EchoClient', of(request('a'), request('b')))),
    ).toEqual({
      message: 'a,b',
      index: 2,
    });
    await expect(
      lastValueFrom(client.emit('TestService.Echo', request('e'))),
    ).rejects.toBeInstanceOf(TTStreamError);
    const transport = client.unwrap<TTStreamClientTransport>();
    await app.close();
    await waitFor(() => transport.stats().connections === 0, 'client closed on shutdown');
  });

  it('ClientsModule.registerAsync(useFactory) works the same', async () => {
    @Module({ providers: [{ provide: 'PORT', useValue: s.port }], exports: ['PORT'] })
    class ConfigModule {}
    const app = await NestFactory.createApplicationContext(
      {
        module: AsyncClientModule,
        imports: [
          ClientsModule.registerAsync([
            {
              name: 'ECHO',
              imports: [ConfigModule],
              inject: ['PORT'],
              useFactory: (port: number) => ({
                customClass: TTStreamClient,
                options: { idl: echoIdl, port },
              }),
            },
          ]),
        ],
        providers: [EchoConsumer],
      },
      { logger: false },
    );
    try {
      const { client } = app.get(EchoConsumer);
      const out = await lastValueFrom(
        client.bidiStream('TestService.Echo', of(request('z'))).pipe(toArray()),
      );
      expect(out).toEqual([{ message: 'z', index: 0 }]);
    } finally {
      await app.close();
    }
  });

  it('@nestjs/testing createNestMicroservice with the strategy', async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [EchoController] }).compile();
    const server = new TTStreamServer({ idl: echoIdl, port: 0 });
    const app = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    await app.listen();
    const client = new TTStreamClient({ idl: echoIdl, port: server.address()!.port });
    try {
      expect(
        await lastValueFrom(client.serverStream('TestService.EchoServer', request('t', 1))),
      ).toEqual({
        message: 't',
        index: 0,
      });
    } finally {
      await client.close();
      await app.close();
    }
  });

  it('listen fails when the port is taken', async () => {
    await expect(
      startServerApp({ controllers: [EchoController] }, { port: s.port }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('a @StreamPattern handler must exist in the IDL (listen fails with a clear message)', async () => {
    @Controller()
    class Bad {
      @StreamPattern('Nope.Echo')
      h() {
        return of();
      }
    }
    await expect(startServerApp({ controllers: [Bad] })).rejects.toThrow(
      "@StreamPattern('Nope.Echo'): the IDL has no service 'Nope' (services: TestService)",
    );
  });
});
