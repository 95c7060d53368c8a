// Shared by the three consumer apps (run.sh copies it into each app's src/): what a Nest app
// using the installed package writes. Serves CounterService.Count (counter.thrift, next to the
// app) on 127.0.0.1:0, calls it with TTStreamClient and compares the replies.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Payload, Server } from '@nestjs/microservices';
import { lastValueFrom, map, type Observable, range, toArray } from 'rxjs';
import { StreamPattern, TTStreamClient, TTStreamServer } from 'nestjs-ttstream';
import { FrameType, frameTypeName } from 'nestjs-ttstream/protocol';

interface CountRequest {
  label: string;
  count: number;
}
interface CountReply {
  label: string;
  index: number;
}

@Controller()
class CounterController {
  @StreamPattern('CounterService.Count')
  count(@Payload() req: CountRequest): Observable<CountReply> {
    return range(0, req.count).pipe(map((index) => ({ label: req.label, index })));
  }
}

@Module({ controllers: [CounterController] })
class CounterModule {}

/** Problems found (empty when the consumer works). */
export async function checkStream(idl: string): Promise<string[]> {
  const problems: string[] = [];
  // The subpath export loads too.
  if (frameTypeName(FrameType.Data) !== 'DATA') {
    problems.push('nestjs-ttstream/protocol: frameTypeName');
  }

  const server = new TTStreamServer({ idl, host: '127.0.0.1', port: 0 });
  // One copy of Nest: the package's server extends the app's own @nestjs/microservices Server.
  if (!(server instanceof Server)) {
    problems.push('TTStreamServer is not an instance of the app’s Server');
  }

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(CounterModule, {
    strategy: server,
    logger: ['error', 'warn'],
  });
  await app.listen();
  const client = new TTStreamClient({
    idl,
    host: '127.0.0.1',
    port: server.address()?.port,
    defaultTimeoutMs: 10_000,
  });
  try {
    const replies = await lastValueFrom(
      client
        .serverStream<CountRequest, CountReply>('CounterService.Count', { label: 'tick', count: 3 })
        .pipe(toArray()),
    );
    const got = replies.map((r) => `${r.label}#${r.index}`).join(' ');
    if (got !== 'tick#0 tick#1 tick#2') {
      problems.push(`replies "${got}", expected "tick#0 tick#1 tick#2"`);
    }
  } catch (err) {
    problems.push(
      `call failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
  } finally {
    await client.close();
    await app.close();
  }
  return problems;
}

/** Runs the check, prints one line and sets the exit code. */
export async function main(consumer: string, idl: string): Promise<void> {
  let problems: string[];
  try {
    problems = await checkStream(idl);
  } catch (err) {
    problems = [`threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`];
  }
  if (problems.length === 0) {
    console.log(`consumer ${consumer}: ok (Node ${process.version})`);
  } else {
    for (const p of problems) console.error(`consumer ${consumer}: ${p}`);
    process.exitCode = 1;
  }
}
