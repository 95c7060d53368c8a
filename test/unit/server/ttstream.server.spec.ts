/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  type CanActivate,
  Catch,
  Controller,
  ForbiddenException,
  type INestApplicationContext,
  Injectable,
  Module,
  type PipeTransform,
  type RpcExceptionFilter,
  UseFilters,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, type MicroserviceOptions, Payload } from '@nestjs/microservices';
import {
  concat,
  finalize,
  map,
  type Observable,
  of,
  reduce,
  throwError,
  interval,
  NEVER,
} from 'rxjs';
import {
  ApplicationException,
  BizStatusError,
  TApplicationExceptionType,
  TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/errors/index.js';
import { StreamPattern } from '../../../lib/decorators/index.js';
import { TTStreamServer } from '../../../lib/server/ttstream.server.js';
import { TTStreamContext } from '../../../lib/server/ttstream.context.js';
import { TTStreamExceptionFilter } from '../../../lib/server/ttstream-exception.filter.js';
import { echoIdl, FakeBinding } from './fake-binding.js';

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(
  controllers: unknown[],
  setup?: (app: { useGlobalFilters(...f: unknown[]): unknown }) => void,
): Promise<FakeBinding> {
  const binding = new FakeBinding();
  @Module({ controllers: controllers as never[] })
  class TestModule {}
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(TestModule, {
    strategy: new TTStreamServer({ idl: echoIdl(), createBinding: () => binding }),
    logger: false,
  });
  setup?.(app);
  apps.push(app);
  await app.listen();
  return binding;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('TTStreamServer (in-memory transport)', () => {
  it('serves the three modes', async () => {
    @Controller()
    class C {
      @StreamPattern('TestService.EchoServer')
      server(@Payload() req: { message: string; count: number }, @Ctx() ctx: TTStreamContext) {
        ctx.setHeader('x-handler', ctx.getPattern());
        ctx.setTrailer('x-sent', String(req.count));
        return of(
          ...Array.from({ length: req.count }, (_, i) => ({ message: req.message, index: i })),
        );
      }
      @StreamPattern('TestService.EchoClient')
      client(@Payload() reqs: Observable<{ message: string }>) {
        return reqs.pipe(
          reduce((acc: string[], r) => [...acc, r.message], []),
          map((all) => ({ message: all.join(','), index: all.length })),
        );
      }
      @StreamPattern('TestService.Echo')
      bidi(@Payload() reqs: Observable<{ message: string }>) {
        return reqs.pipe(map((r, index) => ({ message: r.message, index })));
      }
    }
    const b = await start([C]);
    const s = b.open('TestService.EchoServer', [{ message: 'hi', count: 3 }]);
    await s.done;
    expect(s.outcome).toEqual({ ok: true });
    expect(s.sent).toEqual([0, 1, 2].map((index) => ({ message: 'hi', index })));
    expect(s.header).toEqual({ 'x-handler': 'TestService.EchoServer' });
    expect(s.trailer).toEqual({ 'x-sent': '3' });

    const c = b.open('TestService.EchoClient', [{ message: 'a' }, { message: 'b' }]);
    await c.done;
    expect(c.sent).toEqual([{ message: 'a,b', index: 2 }]);

    const d = b.open('TestService.Echo', [{ message: 'x' }, { message: 'y' }]);
    await d.done;
    expect(d.sent).toEqual([
      { message: 'x', index: 0 },
      { message: 'y', index: 1 },
    ]);
  });

  it('translates a plain Error (no configuration) into ApplicationException type 6', async () => {
    @Controller()
    class C {
      @StreamPattern('TestService.ServerStreamWithErr')
      h(): Observable<unknown> {
        throw new Error('test error');
      }
    }
    const b = await start([C]);
    const error = await b.open('TestService.ServerStreamWithErr', [{}]).failure();
    expect(error).toBeInstanceOf(ApplicationException);
    expect((error as ApplicationException).typeId).toBe(TApplicationExceptionType.InternalError);
    expect((error as ApplicationException).applicationMessage).toBe('biz error: test error');
  });

  it('delivers messages then a BizStatusError emitted after them', async () => {
    @Controller()
    class C {
      @StreamPattern('TestService.ServerStreamWithErr')
      h() {
        return concat(
          of(1, 2, 3),
          throwError(
            () => new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' }),
          ),
        );
      }
    }
    const b = await start([C]);
    const call = b.open('TestService.ServerStreamWithErr', [{}]);
    const error = await call.failure();
    expect(call.sent).toEqual([1, 2, 3]);
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({ bizStatusCode: 10001, bizExtra: { testKey: 'testVal' } });
  });

  it('translates a rejected Promise, an HttpException and a pipe error', async () => {
    class Boom implements PipeTransform {
      transform(): never {
        throw new BadRequestException('message must not be empty');
      }
    }
    @Controller()
    class C {
      @StreamPattern('TestService.EchoServer')
      async h(): Promise<never> {
        await tick();
        throw new ForbiddenException('no');
      }
      @UsePipes(new Boom())
      @StreamPattern('TestService.ServerStreamWithErr')
      p(@Payload() req: unknown) {
        return req;
      }
    }
    const b = await start([C]);
    expect(await b.open('TestService.EchoServer', [{}]).failure()).toMatchObject({
      bizStatusCode: 403,
      bizMessage: 'no',
    });
    expect(await b.open('TestService.ServerStreamWithErr', [{}]).failure()).toMatchObject({
      bizStatusCode: 400,
      bizMessage: 'message must not be empty',
    });
  });

  it('lets user filters see the original error and decide', async () => {
    const seen: unknown[] = [];
    @Catch()
    class F implements RpcExceptionFilter {
      catch(e: unknown): Observable<never> {
        seen.push(e);
        return throwError(() => new BizStatusError(7, 'mapped'));
      }
    }
    @Controller()
    @UseFilters(new F())
    class C {
      @StreamPattern('TestService.EchoServer')
      h(): never {
        throw new Error('orig');
      }
    }
    const b = await start([C]);
    expect(await b.open('TestService.EchoServer', [{}]).failure()).toMatchObject({
      bizStatusCode: 7,
    });
    expect(seen).toEqual([new Error('orig')]);
  });

  it('does not lose requests while an async guard delays the handler (nestjs/nest#14094)', async () => {
    @Injectable()
    class SlowGuard implements CanActivate {
      async canActivate(): Promise<boolean> {
        await new Promise((r) => setTimeout(r, 30));
        return true;
      }
    }
    @Controller()
    class C {
      @UseGuards(SlowGuard)
      @StreamPattern('TestService.Echo')
      h(@Payload() reqs: Observable<number>) {
        return reqs.pipe(map((n) => n * 10));
      }
    }
    const b = await start([C]);
    const call = b.open('TestService.Echo', [1, 2], false);
    call.inbox.push(3);
    call.inbox.end();
    await call.done;
    expect(call.sent).toEqual([10, 20, 30]);
  });

  it('maps guard denials: false, and a thrown HttpException with and without the filter', async () => {
    @Controller()
    class C {
      @UseGuards({ canActivate: () => false })
      @StreamPattern('TestService.EchoServer')
      a() {
        return of(1);
      }
      @UseGuards({
        canActivate: () => {
          throw new ForbiddenException('go away');
        },
      })
      @StreamPattern('TestService.EchoClient')
      b() {
        return of(1);
      }
    }
    const plain = await start([C]);
    // As Nest's ForbiddenException would: business error 403.
    expect(await plain.open('TestService.EchoServer', [{}]).failure()).toMatchObject({
      bizStatusCode: 403,
      bizMessage: 'Forbidden resource',
    });
    expect(await plain.open('TestService.EchoClient', [{}]).failure()).toMatchObject({
      applicationMessage: 'biz error: Internal server error',
    });
    const filtered = await start([C], (app) => app.useGlobalFilters(new TTStreamExceptionFilter()));
    expect(await filtered.open('TestService.EchoClient', [{}]).failure()).toMatchObject({
      bizStatusCode: 403,
      bizMessage: 'go away',
    });
    expect(await filtered.open('TestService.EchoServer', [{}]).failure()).toMatchObject({
      bizStatusCode: 403,
      bizMessage: 'Forbidden resource',
    });
  });

  it('answers UnknownMethod for an IDL method without a handler', async () => {
    @Controller()
    class C {
      @StreamPattern('TestService.Echo')
      h() {
        return of();
      }
    }
    const b = await start([C]);
    const error = await b.open('TestService.EchoServer', [{}]).failure();
    expect(error).toMatchObject({ typeId: TApplicationExceptionType.UnknownMethod });
  });

  it('fails listen for a method the IDL lacks or a mode mismatch', async () => {
    @Controller()
    class C {
      @StreamPattern('TestService.Nope')
      a() {
        return of();
      }
      @StreamPattern('TestService.Echo', { mode: 'server' })
      b() {
        return of();
      }
    }
    await expect(start([C])).rejects.toThrow(
      /TestService\.Nope.*no method 'Nope'[\s\S]*declares TestService\.Echo as 'bidirectional'/,
    );
  });

  it('unsubscribes the handler and aborts ctx.signal on cancel', async () => {
    let finalized = false;
    let aborted = false;
    @Controller()
    class C {
      @StreamPattern('TestService.EchoServer')
      h(@Ctx() ctx: TTStreamContext) {
        ctx.signal.addEventListener('abort', () => (aborted = true));
        return interval(1).pipe(finalize(() => (finalized = true)));
      }
    }
    const b = await start([C]);
    const call = b.open('TestService.EchoServer', [{}]);
    while (call.sent.length < 2) await tick();
    call.controller.abort(new Error('rst'));
    expect(await call.failure()).toEqual(new Error('rst'));
    expect(finalized).toBe(true);
    expect(aborted).toBe(true);
  });

  it('pulls an AsyncIterable result one item per send', async () => {
    let produced = 0;
    @Controller()
    class C {
      @StreamPattern('TestService.EchoServer')
      async *h() {
        for (let i = 0; i < 3; i++) {
          produced++;
          yield i;
        }
      }
    }
    const b = await start([C]);
    const gate: { release?: () => void } = {};
    const call = b.open('TestService.EchoServer', [{}]);
    call.sendGate = () => new Promise<void>((r) => (gate.release = r));
    while (gate.release === undefined) await tick();
    expect(produced).toBe(1);
    call.sendGate = undefined;
    gate.release();
    await call.done;
    expect(call.sent).toEqual([0, 1, 2]);
  });

  it('resets a stream whose Observable outruns the connection past the high-water mark', async () => {
    @Controller()
    class C {
      @StreamPattern('TestService.EchoServer')
      h() {
        return concat(of(...Array.from({ length: 2000 }, (_, i) => i)), NEVER);
      }
    }
    const b = await start([C]);
    const call = b.open('TestService.EchoServer', [{}]);
    call.sendGate = () => new Promise(() => undefined);
    const error = await call.failure();
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(TTStreamErrorCode.InternalCancel);
    expect((error as Error).message).toMatch(/more than 1024 messages/);
    expect(call.signal.reason).toBe(error);
  });
});

describe('TTStreamServer lifecycle', () => {
  it('runs the processing hooks around each stream, reports status and stream events', async () => {
    @Controller()
    class C {
      @StreamPattern('TestService.EchoServer')
      h() {
        return of(1);
      }
      @StreamPattern('TestService.ServerStreamWithErr')
      fails(): never {
        throw new Error('boom');
      }
    }
    const binding = new FakeBinding();
    @Module({ controllers: [C] })
    class M {}
    const server = new TTStreamServer({ idl: echoIdl(), createBinding: () => binding });
    const hooks: string[] = [];
    server.setOnProcessingStartHook((_id, ctx, done) => {
      hooks.push(`start ${(ctx as TTStreamContext).getPattern()}`);
      void done();
    });
    server.setOnProcessingEndHook(() => hooks.push('end'));
    const events: string[] = [];
    server.on('stream:open', (ctx) => events.push(`open ${ctx.getStreamId()}`));
    server.on('stream:close', (ctx, error) =>
      events.push(`close ${ctx.getStreamId()} ${String(error)}`),
    );
    const statuses: string[] = [];
    server.status.subscribe((s) => statuses.push(s));
    const app = await NestFactory.createMicroservice(M, { strategy: server, logger: false });
    await app.listen();
    expect(() => server.unwrap()).not.toThrow();
    const call = binding.open('TestService.EchoServer', [{}]);
    await call.done;
    expect(hooks).toEqual(['start TestService.EchoServer', 'end']);
    expect(events).toEqual(['open 1', 'close 1 undefined']);
    // A failing stream under a hook that drops done()'s promise: no unhandled rejection.
    const failed = binding.open('TestService.ServerStreamWithErr', [{}]);
    expect(await failed.failure()).toMatchObject({ applicationMessage: 'biz error: boom' });
    expect(hooks).toEqual([
      'start TestService.EchoServer',
      'end',
      'start TestService.ServerStreamWithErr',
      'end',
    ]);
    await app.close();
    expect(statuses).toEqual(['listening', 'closing', 'closed']);
    expect(binding.closed).toBe(true);
    expect(() => server.unwrap()).toThrow(/not listening/);
  });
});
