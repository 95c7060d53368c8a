/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { EchoClientModule } from './client-app.module.js';
import { EchoDemo } from './echo-demo.js';

/** Runs the client demo against `host:port` in a Nest application context, then closes it. */
export async function runEchoClient(
  host: string,
  port: number,
  print: (line: string) => void,
): Promise<void> {
  const app = await NestFactory.createApplicationContext(EchoClientModule.forServer(host, port), {
    logger: false,
  });
  try {
    await app.get(EchoDemo).run(print);
  } finally {
    await app.close();
  }
}
