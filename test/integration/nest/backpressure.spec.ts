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

/** 1 KB: bursts of these outrun the connection writer's 256 KiB high-water mark. */
const KB = 'b'.repeat(1024);

@Controller()
class BurstController {
  /**
   * Emits 1,000 messages of 1 KB synchronously: an Observable cannot be paused. The writer takes
   * its high-water mark (256 KiB) at once; the rest must queue, past `outboundHighWaterMark`.
   */
  @StreamPattern('TestService.EchoServer')
  burst(): Observable<unknown> {
    return range(0, 1000).pipe(map((index) => ({ message: KB, index })));
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

  it('a generator handler (the sample EchoServer) streams 10 000 messages, one per completed write', async () => {
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
    // 5 MB emitted synchronously: past the writer's 256 KiB, 1,024 requests queue and then fail.
    const requests = range(0, 5000).pipe(map((i) => request(`${i}:${KB}`)));
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
