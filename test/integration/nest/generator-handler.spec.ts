import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { lastValueFrom, map, type Observable, take, tap, toArray } from 'rxjs';
import { BizStatusError, StreamPattern, type TTStreamClient } from '../../../lib/index.js';
import { OutboundPressure } from '../../../lib/server/outbound-pressure.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

interface Req {
  message: string;
  count: number;
}
interface Res {
  message: string;
  index: number;
}

/** What the server side saw: the interceptor's messages, whether the endless generator ended. */
const seen = { intercepted: [] as string[], endlessFinished: false, endlessPulled: 0 };

/** Maps each message (upper case), recording what it saw. */
@Injectable()
class UpperInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        const res = value as Res;
        seen.intercepted.push(res.message);
        return { ...res, message: res.message.toUpperCase() };
      }),
    );
  }
}

const PAD = 'x'.repeat(1000);

@Controller()
class GeneratorController {
  /**
   * `function*` handlers (no promise per message): `count` messages of ~1 KB, or with `fail`
   * three messages then a business error, or with `endless` messages until the client leaves.
   */
  @StreamPattern('TestService.EchoServer')
  *numbers(@Payload() req: Req): Generator<Res> {
    if (req.message === 'fail') {
      for (let index = 0; index < 3; index++) yield { message: `f${index}`, index };
      throw new BizStatusError(42002, 'stock ran out');
    }
    if (req.message === 'endless') {
      try {
        for (let index = 0; index < 1_000_000; index++) {
          seen.endlessPulled++;
          yield { message: 'e', index };
        }
      } finally {
        seen.endlessFinished = true;
      }
      return;
    }
    for (let index = 0; index < req.count; index++) yield { message: `${index}:${PAD}`, index };
  }

  @StreamPattern('TestService.ServerStreamWithErr')
  @UseInterceptors(UpperInterceptor)
  *letters(@Payload() req: Req): Generator<Res> {
    for (let index = 0; index < req.count; index++) yield { message: `m${index}`, index };
  }
}

describe('handlers that return a function* generator', () => {
  let app: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    // A 16 KiB writer high-water mark (a socket's default): loopback reads keep up with the
    // default 256 KiB, and this test is about the writes that have to wait.
    app = await startServerApp(
      { controllers: [GeneratorController] },
      { logger: false, transportOptions: { writeHighWaterMark: 16 * 1024 } },
    );
    client = clientFor(app.port);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  afterAll(async () => {
    await client.close();
    await app.app.close();
  });

  it('streams 5,000 messages of ~1 KB in order, pausing while writes wait', async () => {
    // Counts the pulls that had to wait for queued writes: the pacing path.
    const drained = jest.spyOn(OutboundPressure.prototype, 'whenDrained');
    const total = 5000;
    const out = await lastValueFrom(
      client
        .serverStream<object, Res>('TestService.EchoServer', request('many', total))
        .pipe(toArray()),
    );
    expect(out).toHaveLength(total);
    out.forEach((res, i) => {
      expect(res.index).toBe(i);
      expect(res.message).toBe(`${i}:${PAD}`);
    });
    const waits = drained.mock.results.filter((r) => r.value === true).length;
    // 5 MB through a 16 KiB high-water mark: the pull waited for written messages, and the
    // order held across those waits.
    expect(waits).toBeGreaterThan(0);
  });

  it('an interceptor (@UseInterceptors) sees and maps each message', async () => {
    seen.intercepted.length = 0;
    const out = await lastValueFrom(
      client
        .serverStream<object, Res>('TestService.ServerStreamWithErr', request('x', 4))
        .pipe(toArray()),
    );
    expect(seen.intercepted).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(out).toEqual([
      { message: 'M0', index: 0 },
      { message: 'M1', index: 1 },
      { message: 'M2', index: 2 },
      { message: 'M3', index: 3 },
    ]);
  });

  it('a generator that throws BizStatusError after 3 messages: 3 messages, then that error', async () => {
    const received: string[] = [];
    const error = await lastValueFrom(
      client.serverStream<object, Res>('TestService.EchoServer', request('fail')).pipe(
        tap((res) => received.push(res.message)),
        toArray(),
      ),
    ).catch((e: unknown) => e);
    expect(received).toEqual(['f0', 'f1', 'f2']);
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({ bizStatusCode: 42002, bizMessage: 'stock ran out' });
  });

  it("a client that leaves after 10 messages makes the generator's finally run", async () => {
    seen.endlessFinished = false;
    seen.endlessPulled = 0;
    const out = await lastValueFrom(
      client
        .serverStream<object, Res>('TestService.EchoServer', request('endless'))
        .pipe(take(10), toArray()),
    );
    expect(out.map((res) => res.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Read through a function: the server sets it behind this test's back.
    const finished = (): boolean => seen.endlessFinished;
    for (let i = 0; i < 200 && !finished(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen.endlessFinished).toBe(true);
    // The generator stopped well before its million messages.
    expect(seen.endlessPulled).toBeLessThan(1_000_000);
  });
});
