import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type CallHandler,
  Controller,
  ForbiddenException,
  type NestInterceptor,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { Payload, RpcException } from '@nestjs/microservices';
import { concat, lastValueFrom, map, type Observable, range, throwError, toArray } from 'rxjs';
import {
  ApplicationException,
  BizStatusError,
  StreamPattern,
  TApplicationExceptionType,
  TTStreamError,
  TTStreamErrorCode,
  type TTStreamClient,
  TTStreamExceptionFilter,
} from '../../../lib/index.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

interface Req {
  message: string;
  count: number;
}

// One handler; `message` picks the failure, `count` the messages sent before it.
function failure(kind: string): unknown {
  switch (kind) {
    case 'biz':
      return new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' });
    case 'rpc-biz':
      return new RpcException({ bizStatusCode: 42, bizMessage: 'from rpc' });
    case 'http':
      return new ForbiddenException('no entry');
    case 'rpc-text':
      return new RpcException('plain rpc text');
    case 'app':
      return new ApplicationException(
        TApplicationExceptionType.WrongMethodName,
        'custom app error',
      );
    case 'ttstream':
      return new TTStreamError(TTStreamErrorCode.IllegalOperation, { detail: 'bad op' });
    case 'string':
      return 'a bare string';
    default:
      return new Error(kind);
  }
}

class OuterThrows implements NestInterceptor {
  intercept(): Observable<unknown> {
    throw new Error('outer interceptor');
  }
}

class InnerMaps implements NestInterceptor {
  intercept(_ctx: unknown, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Controller()
class FailingController {
  @StreamPattern('TestService.ServerStreamWithErr')
  @UseInterceptors(new InnerMaps())
  fail(@Payload() req: Req): Observable<unknown> {
    const error = failure(req.message);
    if (req.count < 0) throw error as Error;
    return concat(
      range(0, req.count).pipe(map((index) => ({ message: 'm', index }))),
      throwError(() => error),
    );
  }

  @StreamPattern('TestService.EchoServer')
  async rejects(@Payload() req: Req): Promise<never> {
    await Promise.resolve();
    throw failure(req.message) as Error;
  }

  @UseGuards({
    canActivate: () => {
      throw new ForbiddenException('guard says no');
    },
  })
  @StreamPattern('TestService.Echo')
  guarded(): Observable<unknown> {
    return range(0, 1);
  }
}

/** A controller-level interceptor is outside `@StreamPattern`'s error capture. */
@Controller()
@UseInterceptors(new OuterThrows())
class InterceptedController {
  @StreamPattern('TestService.EchoClient')
  intercepted(): Observable<unknown> {
    return range(0, 1);
  }
}

async function outcome(obs: Observable<unknown>): Promise<{ values: unknown[]; error: unknown }> {
  const values: unknown[] = [];
  return new Promise((resolve) => {
    obs.subscribe({
      next: (v) => values.push(v),
      error: (error: unknown) => {
        resolve({ values, error });
      },
      complete: () => {
        resolve({ values, error: undefined });
      },
    });
  });
}

describe('exception translation (DESIGN.md policy 1), no user configuration', () => {
  let s: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    s = await startServerApp({ controllers: [FailingController, InterceptedController] });
    client = clientFor(s.port);
  });
  afterAll(async () => {
    await client.close();
    await s.app.close();
  });

  const call = (message: string, count: number) =>
    outcome(client.serverStream('TestService.ServerStreamWithErr', request(message, count)));

  it('BizStatusError after many messages: all messages, then the biz error', async () => {
    const { values, error } = await call('biz', 50);
    expect(values).toHaveLength(50);
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({ bizStatusCode: 10001, bizExtra: { testKey: 'testVal' } });
  });

  it('BizStatusError thrown before the first message', async () => {
    const { values, error } = await call('biz', -1);
    expect(values).toEqual([]);
    expect(error).toMatchObject({ bizStatusCode: 10001, bizMessage: 'insufficient user balance' });
  });

  it('an RpcException carrying bizStatusCode/bizMessage is a biz error', async () => {
    expect((await call('rpc-biz', 1)).error).toMatchObject({
      bizStatusCode: 42,
      bizMessage: 'from rpc',
    });
  });

  it('an HttpException is a biz error with the HTTP status', async () => {
    expect((await call('http', 2)).error).toMatchObject({
      bizStatusCode: 403,
      bizMessage: 'no entry',
    });
  });

  it('a plain Error is ApplicationException 6 "biz error: <message>" (sync, Observable, Promise)', async () => {
    for (const count of [-1, 3]) {
      const { error } = await call('test error', count);
      expect(error).toBeInstanceOf(ApplicationException);
      expect(error).toMatchObject({ typeId: 6, applicationMessage: 'biz error: test error' });
    }
    const rejected = await outcome(client.serverStream('TestService.EchoServer', request('boom')));
    expect(rejected.error).toMatchObject({ typeId: 6, applicationMessage: 'biz error: boom' });
  });

  it("RpcException('text') and non-Error values are ApplicationException 6", async () => {
    expect((await call('rpc-text', 0)).error).toMatchObject({
      typeId: 6,
      applicationMessage: 'biz error: plain rpc text',
    });
    expect((await call('string', 0)).error).toMatchObject({
      typeId: 6,
      applicationMessage: 'biz error: a bare string',
    });
  });

  it('an ApplicationException or TTStreamError thrown by the handler keeps its type and text', async () => {
    expect((await call('app', 0)).error).toMatchObject({
      typeId: TApplicationExceptionType.WrongMethodName,
      applicationMessage: 'custom app error',
    });
    const { error } = await call('ttstream', 0);
    expect(error).toBeInstanceOf(ApplicationException);
    expect(error).toMatchObject({ typeId: 12005 });
    expect((error as ApplicationException).applicationMessage).toContain('bad op');
  });

  it('a guard or controller interceptor throwing a non-RpcException: Nest hides it', async () => {
    const guarded = await outcome(client.bidiStream('TestService.Echo', [request('x')]));
    expect(guarded.error).toMatchObject({
      typeId: 6,
      applicationMessage: 'biz error: Internal server error',
    });
    const intercepted = await outcome(
      client.clientStream('TestService.EchoClient', [request('x')]),
    );
    expect(intercepted.error).toMatchObject({
      typeId: 6,
      applicationMessage: 'biz error: Internal server error',
    });
  });
});

describe('exception translation with TTStreamExceptionFilter registered globally', () => {
  let s: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    s = await startServerApp(
      { controllers: [FailingController, InterceptedController] },
      {},
      (app) => {
        app.useGlobalFilters(new TTStreamExceptionFilter());
      },
    );
    client = clientFor(s.port);
  });
  afterAll(async () => {
    await client.close();
    await s.app.close();
  });

  it('maps errors of guards and outer interceptors too', async () => {
    const guarded = await outcome(client.bidiStream('TestService.Echo', [request('x')]));
    expect(guarded.error).toMatchObject({ bizStatusCode: 403, bizMessage: 'guard says no' });
    const intercepted = await outcome(
      client.clientStream('TestService.EchoClient', [request('x')]),
    );
    expect(intercepted.error).toMatchObject({
      typeId: 6,
      applicationMessage: 'biz error: outer interceptor',
    });
  });

  it('still delivers messages before a mid-stream error', async () => {
    const { values, error } = await outcome(
      client.serverStream('TestService.ServerStreamWithErr', request('biz', 5)),
    );
    expect(values).toHaveLength(5);
    expect(error).toBeInstanceOf(BizStatusError);
  });
});

describe('exceptionMapping options', () => {
  let s: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    s = await startServerApp(
      { controllers: [FailingController] },
      { exceptionMapping: { exposeErrorMessages: false, httpExceptions: 'application' } },
    );
    client = clientFor(s.port);
  });
  afterAll(async () => {
    await client.close();
    await s.app.close();
  });

  it('hides messages and sends HttpExceptions as application exceptions', async () => {
    const hidden = await outcome(
      client.serverStream('TestService.ServerStreamWithErr', request('secret', 0)),
    );
    expect(hidden.error).toMatchObject({ applicationMessage: 'biz error: Internal server error' });
    const http = await outcome(
      client.serverStream('TestService.ServerStreamWithErr', request('http', 0)),
    );
    expect(http.error).toBeInstanceOf(ApplicationException);
    const values = await lastValueFrom(
      client.serverStream('TestService.ServerStreamWithErr', request('biz', 2)).pipe(toArray()),
    ).catch((e: unknown) => e);
    expect(values).toBeInstanceOf(BizStatusError);
  });
});
