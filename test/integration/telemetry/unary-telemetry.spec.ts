/**
 * Unary and oneway calls in telemetry: the Thrift payload bytes each side counted (the same on
 * both, and the size the codec gives), and a plain handler error recorded as itself although
 * Nest's default filter hides it from the client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { lastValueFrom } from 'rxjs';
import { ApplicationException, StaticResolver, TTStreamClient } from '../../../lib/index.js';
import { openTelemetry } from '../../../lib/telemetry/index.js';
import { loadOtelApi, type OtelApi } from '../../../lib/telemetry/otel/load-otel-api.js';
import { payloadToArgs } from '../../../lib/thrift/unary-values.js';
import { encodeThriftMessage, ThriftMessageType } from '../../../lib/thrift/message-envelope.js';
import { type UnaryMethodDescriptor } from '../../../lib/thrift/thrift-idl.js';
import { type Request, type Response } from '../../../sample/generated/echo.js';
import { registerTestTracing, type GlobalTestTracing } from '../../helpers/otel-tracing.js';
import { rejectionOf, waitFor } from '../../helpers/wait.js';
import { clientFor, echoIdl, request, type ServerApp, startServerApp } from '../nest/harness.js';

const api = loadOtelApi() as OtelApi;
const { SpanKind, SpanStatusCode } = api;

/** EchoUnary echoes, or throws a plain Error for `boom`; Notify does nothing. */
@Controller()
class PlainController {
  @MessagePattern('TestService.EchoUnary')
  EchoUnary(@Payload() req: Request): Response {
    if (req.message === 'boom') throw new Error('boom');
    return { message: req.message, index: req.count };
  }

  @EventPattern('TestService.Notify')
  Notify(@Payload() _req: Request): void {}
}

function unaryMethod(name: string): UnaryMethodDescriptor {
  return echoIdl.services.get('TestService')?.methods.get(name) as UnaryMethodDescriptor;
}

/** The Thrift message of `method` as the codec encodes it: envelope (any seqid) and struct. */
function messageSize(name: string, type: ThriftMessageType, struct: Record<string, unknown>) {
  const method = unaryMethod(name);
  const body = type === ThriftMessageType.Reply ? method.resultCodec : method.argsCodec;
  return encodeThriftMessage({ name, type, seqId: 1 }, body.encode(struct)).length;
}

describe('unary and oneway calls in telemetry (TTStreamServer + TTStreamClient, no global filter)', () => {
  let tracing: GlobalTestTracing;
  let app: ServerApp;
  let client: TTStreamClient;

  beforeAll(async () => {
    tracing = registerTestTracing();
    // `dup` adds the stable `error.type` next to obs-opentelemetry's attributes.
    app = await startServerApp(
      { controllers: [PlainController] },
      { telemetry: openTelemetry({ metrics: false, semconv: 'dup' }) },
    );
    client = clientFor(app.port, { telemetry: openTelemetry({ metrics: false }) });
  });
  afterAll(async () => {
    await client.close();
    await app.app.close();
    await tracing.dispose();
  });
  beforeEach(() => {
    tracing.exporter.reset();
  });

  async function spansOf(method: string): Promise<{ client: ReadableSpan; server: ReadableSpan }> {
    const name = `echo.TestService/${method}`;
    let found: { client?: ReadableSpan; server?: ReadableSpan } = {};
    await waitFor(() => {
      const spans = tracing.exporter.getFinishedSpans().filter((s) => s.name === name);
      found = {
        client: spans.find((s) => s.kind === SpanKind.CLIENT),
        server: spans.find((s) => s.kind === SpanKind.SERVER),
      };
      return found.client !== undefined && found.server !== undefined;
    }, `the spans of ${method}`);
    return found as { client: ReadableSpan; server: ReadableSpan };
  }

  it('unary: both sides count the Thrift messages of the request and the reply', async () => {
    const req = request('payload bytes', 7);
    const reply = await lastValueFrom(client.send<Response>('TestService.EchoUnary', req));
    expect(reply).toEqual({ message: 'payload bytes', index: 7 });
    const { client: sent, server: served } = await spansOf('EchoUnary');

    const requestSize = messageSize(
      'EchoUnary',
      ThriftMessageType.Call,
      payloadToArgs(unaryMethod('EchoUnary'), req),
    );
    const replySize = messageSize('EchoUnary', ThriftMessageType.Reply, { success: reply });
    expect(requestSize).toBeGreaterThan(0);
    expect(replySize).toBeGreaterThan(0);
    expect(sent.attributes['kitex.send_size']).toBe(requestSize);
    expect(served.attributes['kitex.recv_size']).toBe(requestSize);
    expect(served.attributes['kitex.send_size']).toBe(replySize);
    expect(sent.attributes['kitex.recv_size']).toBe(replySize);
  });

  it('unary through a resolver: the client counts the bytes of the attempt that was made', async () => {
    const balanced = new TTStreamClient({
      idl: echoIdl,
      service: 'echo',
      resolver: new StaticResolver({ echo: [{ host: '127.0.0.1', port: app.port }] }),
      logger: false,
      telemetry: openTelemetry({ metrics: false }),
    });
    try {
      const req = request('balanced', 2);
      const reply = await lastValueFrom(balanced.send<Response>('TestService.EchoUnary', req));
      const { client: sent, server: served } = await spansOf('EchoUnary');
      expect(sent.attributes['kitex.send_size']).toBe(
        messageSize('EchoUnary', ThriftMessageType.Call, { req }),
      );
      expect(sent.attributes['kitex.send_size']).toBe(served.attributes['kitex.recv_size']);
      expect(sent.attributes['kitex.recv_size']).toBe(
        messageSize('EchoUnary', ThriftMessageType.Reply, { success: reply }),
      );
    } finally {
      await balanced.close();
    }
  });

  it('oneway: the server counts the request it read, the client the one it wrote', async () => {
    const req = request('notify bytes', 3);
    await lastValueFrom(client.emit('TestService.Notify', req), { defaultValue: undefined });
    const { client: sent, server: served } = await spansOf('Notify');
    const size = messageSize(
      'Notify',
      ThriftMessageType.Oneway,
      payloadToArgs(unaryMethod('Notify'), req),
    );
    expect(size).toBeGreaterThan(0);
    expect(served.attributes['kitex.recv_size']).toBe(size);
    expect(sent.attributes['kitex.send_size']).toBe(size);
    // Nothing goes back.
    expect(served.attributes['kitex.send_size']).toBe(0);
  });

  it("a plain Error is recorded as itself, not as Nest's Internal server error", async () => {
    const error = await rejectionOf(
      lastValueFrom(client.send('TestService.EchoUnary', request('boom'))),
    );
    // The client still receives what Nest's default filter left of it.
    expect(error).toBeInstanceOf(ApplicationException);
    expect(error).toMatchObject({ applicationMessage: 'biz error: Internal server error' });

    const { server } = await spansOf('EchoUnary');
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    // As a Kitex server span reads (fixtures D32): `biz error: <the handler's message>`...
    expect(server.status.message).toBe('biz error: boom');
    // ...with the handler's own error as the exception (its class, message and stack).
    const exception = server.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.type']).toBe('Error');
    expect(exception?.attributes?.['exception.message']).toBe('boom');
    expect(String(exception?.attributes?.['exception.stacktrace'])).toContain('boom');
    // The code of a handler error, as for streams.
    expect(server.attributes['kitex.error_code']).toBe(12001);
    // The reply is the EXCEPTION message, counted too.
    expect(server.attributes['kitex.send_size']).toBeGreaterThan(0);
  });
});
