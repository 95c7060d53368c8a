import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { lastValueFrom, map, range, count, type Observable } from 'rxjs';
import {
  ApplicationException,
  StreamPattern,
  TApplicationExceptionType,
  type TTStreamClient,
  TTStreamError,
  TTStreamErrorCode,
} from '../../../lib/index.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

@Controller()
class BurstController {
  /** Emits `count` messages synchronously: an Observable cannot be paused. */
  @StreamPattern('TestService.EchoServer')
  burst(): Observable<unknown> {
    return range(0, 1000).pipe(map((index) => ({ message: 'b', index })));
  }
}

describe('backpressure over loopback', () => {
  let sample: ServerApp;
  let burst: ServerApp;
  let sampleClient: TTStreamClient;
  let burstClient: TTStreamClient;
  beforeAll(async () => {
    sample = await startServerApp({ controllers: [EchoController] }, { outboundHighWaterMark: 64 });
    burst = await startServerApp({ controllers: [BurstController] }, { outboundHighWaterMark: 16 });
    sampleClient = clientFor(sample.port, { transportOptions: { poolSize: 1 } });
    burstClient = clientFor(burst.port);
  });
  afterAll(async () => {
    await sampleClient.close();
    await burstClient.close();
    await sample.app.close();
    await burst.app.close();
  });

  it('an AsyncIterable handler streams 10 000 messages, one per completed write', async () => {
    const n = await lastValueFrom(
      sampleClient.serverStream('TestService.EchoServer', request('many', 10_000)).pipe(count()),
    );
    expect(n).toBe(10_000);
  });

  it('a bidi echo of 5 000 requests: reading pauses while responses wait, nothing is lost', async () => {
    // An array (like an AsyncIterable) is pulled one request per completed send.
    const requests = Array.from({ length: 5000 }, (_, i) => request(`m${i}`));
    const n = await lastValueFrom(
      sampleClient.bidiStream('TestService.Echo', requests).pipe(count()),
    );
    expect(n).toBe(5000);
  });

  it('a request Observable that outruns the connection fails the call on the client (12005)', async () => {
    const requests = range(0, 5000).pipe(map((i) => request(`m${i}`)));
    const error = await lastValueFrom(sampleClient.bidiStream('TestService.Echo', requests)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).code).toBe(TTStreamErrorCode.IllegalOperation);
  });

  it('an Observable that outruns the connection past the high-water mark resets the stream', async () => {
    const error = await lastValueFrom(
      burstClient.serverStream('TestService.EchoServer', request('x')),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TTStreamError);
    expect(error).toMatchObject({ code: TTStreamErrorCode.InternalCancel, remote: true });
    expect((error as TTStreamError).message).toMatch(/more than 16 messages/);
  });

  it('an IDL method without a handler answers UnknownMethod', async () => {
    const error = await lastValueFrom(
      burstClient.bidiStream('TestService.Echo', [request('x')]),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationException);
    expect(error).toMatchObject({
      typeId: TApplicationExceptionType.UnknownMethod,
      applicationMessage: 'unknown method Echo',
    });
  });
});
