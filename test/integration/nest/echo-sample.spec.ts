import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { from, lastValueFrom, of, toArray } from 'rxjs';
import {
  ApplicationException,
  BizStatusError,
  TApplicationExceptionType,
  type TTStreamClient,
} from '../../../lib/index.js';
import { type TestServiceClient } from '../../../sample/generated/echo.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

describe('the sample EchoController over loopback', () => {
  let s: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    s = await startServerApp({ controllers: [EchoController] });
    client = clientFor(s.port);
  });
  afterAll(async () => {
    await client.close();
    await s.app.close();
  });

  it('EchoServer streams count responses with x-handler and x-sent', async () => {
    let header: Record<string, string> | undefined;
    let trailer: Record<string, string> | undefined;
    const out = await lastValueFrom(
      client
        .serverStream('TestService.EchoServer', request('hi', 3), {
          onHeader: (h) => (header = h),
          onTrailer: (t) => (trailer = t),
        })
        .pipe(toArray()),
    );
    expect(out).toEqual([0, 1, 2].map((index) => ({ message: 'hi', index })));
    expect(header).toMatchObject({ 'x-handler': 'TestService.EchoServer' });
    expect(trailer).toMatchObject({ 'x-sent': '3' });
  });

  it('Echo answers each request (bidi)', async () => {
    const out = await lastValueFrom(
      client.bidiStream('TestService.Echo', of(request('a'), request('b'))).pipe(toArray()),
    );
    expect(out).toEqual([
      { message: 'a', index: 0 },
      { message: 'b', index: 1 },
    ]);
  });

  it('EchoClient joins the requests (client streaming, AsyncIterable input)', async () => {
    async function* requests() {
      yield request('x');
      yield request('y');
      yield request('z');
    }
    const out = await lastValueFrom(client.clientStream('TestService.EchoClient', requests()));
    expect(out).toEqual({ message: 'x,y,z', index: 3 });
  });

  it('ServerStreamWithErr: tokens, then the business error 10001', async () => {
    const got: unknown[] = [];
    let trailer: Record<string, string> | undefined;
    const error = await new Promise<unknown>((resolve) => {
      client
        .serverStream('TestService.ServerStreamWithErr', request('balance', 2), {
          onTrailer: (t) => (trailer = t),
        })
        .subscribe({
          next: (v) => got.push(v),
          error: resolve,
          complete: () => {
            resolve(null);
          },
        });
    });
    expect(got).toEqual([
      { message: 'token-0', index: 0 },
      { message: 'token-1', index: 1 },
    ]);
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({
      bizStatusCode: 10001,
      bizMessage: 'insufficient user balance',
      bizExtra: { testKey: 'testVal' },
    });
    expect(trailer).toMatchObject({ 'x-sent': '2' });
  });

  it('ServerStreamWithErr: a plain error arrives as ApplicationException 6', async () => {
    const error = await lastValueFrom(
      client.serverStream('TestService.ServerStreamWithErr', request('test error', 5)),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationException);
    expect(error).toMatchObject({
      typeId: TApplicationExceptionType.InternalError,
      applicationMessage: 'biz error: test error',
      message: '[ttstream error, code=12001] [client-side stream] biz error: test error',
    });
  });

  it('getService returns typed methods; send() works too', async () => {
    const svc = client.getService<TestServiceClient>('TestService');
    expect(await lastValueFrom(svc.EchoServer(request('g', 2)).pipe(toArray()))).toHaveLength(2);
    expect(await lastValueFrom(svc.Echo(from([request('q')])).pipe(toArray()))).toEqual([
      { message: 'q', index: 0 },
    ]);
    expect(
      await lastValueFrom(client.send('TestService.EchoServer', request('s', 2)).pipe(toArray())),
    ).toEqual([
      { message: 's', index: 0 },
      { message: 's', index: 1 },
    ]);
  });

  it('x-sent counts only the DATA frames sent: a response over maxFrameBytes is not one', async () => {
    const small = await startServerApp(
      { controllers: [EchoController] },
      { transportOptions: { maxFrameBytes: 1024 } },
    );
    const c = clientFor(small.port);
    try {
      let trailer: Record<string, string> | undefined;
      // EchoClient answers the requests joined with ',': 30 x 40 bytes makes a 1.2 KB response.
      const error = await lastValueFrom(
        c.clientStream(
          'TestService.EchoClient',
          Array.from({ length: 30 }, () => request('m'.repeat(40))),
          { onTrailer: (t) => (trailer = t) },
        ),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApplicationException);
      expect(trailer?.['x-sent']).toBe('0');
    } finally {
      await c.close();
      await small.app.close();
    }
  });
});
