/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, ForbiddenException, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import {
  StreamPattern,
  TTStreamClient,
  TTStreamExceptionFilter,
  TTStreamServer,
} from '../../../lib/index.js';
import { NoopHttpAdapter } from '../../helpers/noop-http-adapter.js';
import { echoIdl, request } from './harness.js';

@Controller()
class GuardedController {
  @UseGuards({
    canActivate: () => {
      throw new ForbiddenException('hybrid guard');
    },
  })
  @StreamPattern('TestService.EchoServer')
  h() {
    return of({ message: 'never', index: 0 });
  }
}

@Module({ controllers: [GuardedController] })
class HybridModule {}

describe('hybrid application (connectMicroservice)', () => {
  it('serves streams with the app-wide filter inherited', async () => {
    const app = await NestFactory.create(HybridModule, new NoopHttpAdapter(), { logger: false });
    app.useGlobalFilters(new TTStreamExceptionFilter());
    const server = new TTStreamServer({ idl: echoIdl, port: 0 });
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.init();
    const client = new TTStreamClient({ idl: echoIdl, port: server.address()!.port });
    try {
      const error = await lastValueFrom(
        client.serverStream('TestService.EchoServer', request('h')),
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ bizStatusCode: 403, bizMessage: 'hybrid guard' });
    } finally {
      await client.close();
      await app.close();
    }
  });
});
