import { Module } from '@nestjs/common';
import { EchoController } from './echo.controller.js';

/** The sample server's module: the `TestService` controller. */
@Module({ controllers: [EchoController] })
export class EchoServerModule {}
