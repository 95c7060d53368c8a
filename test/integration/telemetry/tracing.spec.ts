import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { firstValueFrom, lastValueFrom, type Observable, of, Subject, take, toArray } from 'rxjs';
import { StreamPattern, type TTStreamClient } from '../../../lib/index.js';
import { openTelemetry, type TTStreamTelemetry } from '../../../lib/telemetry/index.js';
import { loadOtelApi, type OtelApi } from '../../../lib/telemetry/otel/load-otel-api.js';
import { type Request, type Response } from '../../../sample/generated/echo.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import { registerTestTracing, type GlobalTestTracing } from '../../helpers/otel-tracing.js';
import { rejectionOf, waitFor } from '../../helpers/wait.js';
import { clientFor, request, type ServerApp, startServerApp } from '../nest/harness.js';

// The API copy the library loads (the registry is global either way).
const api = loadOtelApi() as OtelApi;
const { SpanKind, SpanStatusCode } = api;

const DOWNSTREAM = Symbol('downstream client');

/** The middle hop: relays to the downstream echo server with our client, in the handler. */
@Controller()
class RelayController {
  constructor(@Inject(DOWNSTREAM) private readonly downstream: TTStreamClient) {}

  @MessagePattern('TestService.EchoUnary')
  async EchoUnary(@Payload() req: Request): Promise<Response> {
    return lastValueFrom(this.downstream.send<Response>('TestService.EchoUnary', req));
  }

  @StreamPattern('TestService.EchoServer')
  EchoServer(@Payload() req: Request): Observable<Response> {
    return this.downstream.serverStream<Request, Response>('TestService.EchoServer', req);
  }

  /** Slow: answers after `count` ms (bounded), for a client timeout. */
  @MessagePattern('TestService.UnaryWithErr')
  async UnaryWithErr(@Payload() req: Request): Promise<Response> {
    await new Promise((resolve) => setTimeout(resolve, Math.min(req.count, 2000)));
    return { message: 'late', index: req.count };
  }
}

describe('OpenTelemetry tracing over loopback (TTStreamServer + TTStreamClient)', () => {
  let tracing: GlobalTestTracing;
  let downstream: ServerApp;
  let relay: ServerApp;
  let relayToDownstream: TTStreamClient;
  let echo: TTStreamClient;
  let viaRelay: TTStreamClient;

  beforeAll(async () => {
    tracing = registerTestTracing();
    // Every server and client below uses the default `telemetry: 'auto'`.
    downstream = await startServerApp({ controllers: [EchoController] });
    relayToDownstream = clientFor(downstream.port);
    relay = await startServerApp({
      controllers: [RelayController],
      providers: [{ provide: DOWNSTREAM, useValue: relayToDownstream }],
    });
    echo = clientFor(downstream.port);
    viaRelay = clientFor(relay.port);
  });

  afterAll(async () => {
    await viaRelay.close();
    await echo.close();
    await relay.app.close();
    await relayToDownstream.close();
    await downstream.app.close();
    await tracing.dispose();
  });

  beforeEach(() => {
    tracing.exporter.reset();
  });

  /**
   * Waits for the root CLIENT span of `method` and `servers` SERVER spans in its trace; `server`
   * is the one that client called.
   */
  async function spansOf(
    method: string,
    servers = 1,
  ): Promise<{ client: ReadableSpan; server: ReadableSpan; trace: ReadableSpan[] }> {
    const name = `echo.TestService/${method}`;
    let client: ReadableSpan | undefined;
    let trace: ReadableSpan[] = [];
    await waitFor(() => {
      const spans = tracing.exporter.getFinishedSpans();
      client = spans.find(
        (s) => s.name === name && s.kind === SpanKind.CLIENT && s.parentSpanContext === undefined,
      );
      const traceId = client?.spanContext().traceId;
      trace = spans.filter((s) => s.spanContext().traceId === traceId);
      return trace.filter((s) => s.kind === SpanKind.SERVER).length >= servers;
    }, `the spans of ${method}`);
    const server = trace.find(
      (s) =>
        s.kind === SpanKind.SERVER && s.parentSpanContext?.spanId === client?.spanContext().spanId,
    );
    if (client === undefined || server === undefined) throw new Error('no spans');
    return { client, server, trace };
  }

  const childOf = (child: ReadableSpan, parent: ReadableSpan) => {
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  };

  describe('unary', () => {
    it('success: a CLIENT span and its SERVER child, with Kitex attributes', async () => {
      await lastValueFrom(echo.send('TestService.EchoUnary', request('hi', 1)));
      const { client, server } = await spansOf('EchoUnary');
      childOf(server, client);
      expect(client.parentSpanContext).toBeUndefined();
      const common = {
        'rpc.system': 'kitex',
        'rpc.service': 'TestService',
        'rpc.method': 'EchoUnary',
        'request.protocol': 'TTHeader',
      };
      expect(client.attributes).toMatchObject(common);
      expect(server.attributes).toMatchObject(common);
      // The client's resource service.name arrives as peer.service, as from a Kitex client.
      expect(server.attributes['peer.service']).toMatch(/^unknown_service/);
      expect(client.status.code).toBe(SpanStatusCode.UNSET);
      expect(server.status.code).toBe(SpanStatusCode.UNSET);
    });

    it('business error: both spans unset, with the code', async () => {
      await rejectionOf(lastValueFrom(echo.send('TestService.UnaryWithErr', request('b', 0))));
      const { client, server } = await spansOf('UnaryWithErr');
      for (const span of [client, server]) {
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
        expect(span.attributes['kitex.biz_status_code']).toBe(10001);
        expect(span.attributes['kitex.biz_message']).toBe('insufficient user balance');
      }
    });

    it('exception: both spans ERROR with an exception event', async () => {
      await rejectionOf(
        lastValueFrom(echo.send('TestService.UnaryWithErr', request('test error'))),
      );
      const { client, server } = await spansOf('UnaryWithErr');
      expect(server.status.code).toBe(SpanStatusCode.ERROR);
      expect(server.events.map((e) => e.name)).toContain('exception');
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
      expect(client.events.map((e) => e.name)).toContain('exception');
    });

    it('timeout: the client span is ERROR', async () => {
      await rejectionOf(
        lastValueFrom(
          viaRelay.send('TestService.UnaryWithErr', request('slow', 1000), { timeoutMs: 50 }),
        ),
      );
      const { client } = await spansOf('UnaryWithErr');
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
      expect(client.status.message).toMatch(/timeout/);
    });
  });

  describe('streams', () => {
    it('success: one span per stream on each side, request.protocol TTHeaderStreaming', async () => {
      const got = await lastValueFrom(
        echo.serverStream('TestService.EchoServer', request('s', 3)).pipe(toArray()),
      );
      expect(got).toHaveLength(3);
      const { client, server, trace } = await spansOf('EchoServer');
      expect(trace).toHaveLength(2);
      childOf(server, client);
      expect(server.attributes['request.protocol']).toBe('TTHeaderStreaming');
      expect(server.status.code).toBe(SpanStatusCode.UNSET);
      // The payload bytes the transport counted: one request in, three responses out.
      expect(server.attributes['kitex.recv_size']).toBeGreaterThan(0);
      expect(server.attributes['kitex.send_size']).toBeGreaterThan(
        server.attributes['kitex.recv_size'] as number,
      );
      // The client counted the same payload bytes the other way round.
      expect(client.attributes['kitex.send_size']).toBe(server.attributes['kitex.recv_size']);
      expect(client.attributes['kitex.recv_size']).toBe(server.attributes['kitex.send_size']);

      await lastValueFrom(echo.bidiStream('TestService.Echo', of(request('a'), request('b'))));
      const bidi = await spansOf('Echo');
      childOf(bidi.server, bidi.client);
    });

    it('business error after some messages: unset, with the code', async () => {
      await rejectionOf(
        lastValueFrom(echo.serverStream('TestService.ServerStreamWithErr', request('x', 2))),
      );
      const { client, server } = await spansOf('ServerStreamWithErr');
      for (const span of [client, server]) {
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
        expect(span.attributes['kitex.biz_status_code']).toBe(10001);
      }
    });

    it('exception: ERROR on both sides, the client with code 12001', async () => {
      await rejectionOf(
        lastValueFrom(
          echo.serverStream('TestService.ServerStreamWithErr', request('test error', 2)),
        ),
      );
      const { client, server } = await spansOf('ServerStreamWithErr');
      expect(server.status.code).toBe(SpanStatusCode.ERROR);
      expect(server.events.map((e) => e.name)).toContain('exception');
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
      expect(client.attributes['kitex.error_code']).toBe(12001);
    });

    it('cancel: the caller unsubscribing ends both spans as errors', async () => {
      const requests = new Subject<ReturnType<typeof request>>();
      const first = firstValueFrom(echo.bidiStream('TestService.Echo', requests).pipe(take(1)));
      requests.next(request('once'));
      await first;
      const { client, server } = await spansOf('Echo');
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
      expect(server.status.code).toBe(SpanStatusCode.ERROR);
      const code = server.attributes['kitex.error_code'];
      expect(code).toBeGreaterThanOrEqual(12007);
      expect(code).toBeLessThanOrEqual(12013);
      requests.complete();
    });

    it('timeout: ERROR with the ttstream timeout code on the client', async () => {
      const requests = new Subject<ReturnType<typeof request>>();
      const error = await rejectionOf(
        lastValueFrom(echo.bidiStream('TestService.Echo', requests, { timeoutMs: 50 })),
      );
      requests.complete();
      expect(error).toMatchObject({ code: 12015 });
      const { client, server } = await spansOf('Echo');
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
      expect(client.attributes['kitex.error_code']).toBe(12015);
      expect(server.status.code).toBe(SpanStatusCode.ERROR);
    });
  });

  describe('a call made inside a handler', () => {
    it('unary: client -> relay server -> relay client -> downstream server, one trace', async () => {
      await lastValueFrom(viaRelay.send('TestService.EchoUnary', request('r', 1)));
      const { client, server, trace } = await spansOf('EchoUnary', 2);
      expect(trace).toHaveLength(4);
      childOf(server, client);
      const inner = trace.filter((s) => s !== client && s !== server);
      const innerClient = inner.find((s) => s.kind === SpanKind.CLIENT);
      const innerServer = inner.find((s) => s.kind === SpanKind.SERVER);
      if (innerClient === undefined || innerServer === undefined) throw new Error('no hop');
      childOf(innerClient, server);
      childOf(innerServer, innerClient);
    });

    it('stream: the handler returns the downstream stream', async () => {
      const got = await lastValueFrom(
        viaRelay.serverStream('TestService.EchoServer', request('r', 2)).pipe(toArray()),
      );
      expect(got).toHaveLength(2);
      const { client, server, trace } = await spansOf('EchoServer', 2);
      expect(trace).toHaveLength(4);
      childOf(server, client);
      const innerClient = trace.find((s) => s !== client && s.kind === SpanKind.CLIENT);
      const innerServer = trace.find((s) => s !== server && s.kind === SpanKind.SERVER);
      if (innerClient === undefined || innerServer === undefined) throw new Error('no hop');
      childOf(innerClient, server);
      childOf(innerServer, innerClient);
    });
  });

  describe('options', () => {
    it('telemetry: false records nothing', async () => {
      const since = Date.now();
      const quiet = await startServerApp({ controllers: [EchoController] }, { telemetry: false });
      const client = clientFor(quiet.port, { telemetry: false });
      try {
        await lastValueFrom(client.send('TestService.EchoUnary', request('q')));
        await lastValueFrom(client.serverStream('TestService.EchoServer', request('q', 2)));
        // A traced call afterwards, so that a stray span of the quiet ones would have ended.
        await lastValueFrom(echo.send('TestService.EchoUnary', request('after')));
        await spansOf('EchoUnary');
        const started = tracing.exporter
          .getFinishedSpans()
          .filter((s) => s.startTime[0] * 1000 + s.startTime[1] / 1e6 >= since);
        expect(started).toHaveLength(2);
      } finally {
        await client.close();
        await quiet.app.close();
      }
    });

    it('messageEvents: one span event per message, in each direction', async () => {
      const client = clientFor(downstream.port, {
        telemetry: openTelemetry({ metrics: false, messageEvents: true }),
      });
      try {
        const requests = [request('a'), request('b'), request('c')];
        await lastValueFrom(client.bidiStream('TestService.Echo', of(...requests)));
        const { client: span, server } = await spansOf('Echo');
        const types = span.events.map((e) => e.attributes?.['rpc.message.type']);
        expect(types.filter((t) => t === 'SENT')).toHaveLength(3);
        expect(types.filter((t) => t === 'RECEIVED')).toHaveLength(3);
        // The server keeps the default: no events.
        expect(server.events).toEqual([]);
      } finally {
        await client.close();
      }
    });

    it('a plug-in that throws is skipped; the call and the other plug-ins go on', async () => {
      const broken: TTStreamTelemetry = {
        start() {
          throw new Error('broken plug-in');
        },
      };
      const client = clientFor(downstream.port, {
        telemetry: [broken, openTelemetry({ metrics: false })],
      });
      try {
        const reply = await lastValueFrom(client.send('TestService.EchoUnary', request('p', 4)));
        expect(reply).toEqual({ message: 'p', index: 4 });
        const { client: span, server } = await spansOf('EchoUnary');
        childOf(server, span);
      } finally {
        await client.close();
      }
    });
  });
});
