import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, NEVER, type Observable } from 'rxjs';
import {
  BizStatusError,
  RpcCallError,
  RpcCallErrorKind,
  StreamPattern,
  TTStreamClient,
  TTStreamError,
  TTStreamErrorCode,
  type TTStreamServiceClient,
} from '../../../lib/index.js';
import {
  ECHO_EXCEPTIONS,
  EchoException,
  type TestServiceClient,
} from '../../../sample/generated/echo.js';
import { latch, rejectionOf, waitFor } from '../../helpers/wait.js';
import {
  echoReply,
  FakePingPongServer,
  type FakeHandler,
} from '../transport/pingpong-fake-server.js';
import { clientFor, request, startServerApp } from './harness.js';

describe('TTStreamClient unary and oneway calls', () => {
  let fake: FakePingPongServer | undefined;
  const clients: TTStreamClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await fake?.close();
    fake = undefined;
  });

  async function setup(
    handler: FakeHandler,
    options: Parameters<typeof clientFor>[1] = {},
  ): Promise<{ server: FakePingPongServer; client: TTStreamClient }> {
    const server = await FakePingPongServer.start(handler);
    fake = server;
    const client = clientFor(server.port, { logger: false, ...options });
    clients.push(client);
    return { server, client };
  }

  it('send() a unary method: one value, then completion; the status says connected', async () => {
    const { server, client } = await setup(echoReply, { defaultHeaders: { 'x-app': 'a' } });
    const statuses: string[] = [];
    client.status.subscribe((s) => statuses.push(s));
    expect(await lastValueFrom(client.send('TestService.EchoUnary', request('hi', 3)))).toEqual({
      message: 'hi',
      index: 3,
    });
    expect(statuses).toEqual(['connected']);
    expect(server.requests[0]?.strHeaders.get('x-app')).toBe('a');
  });

  it('send() is cold: nothing is sent before subscribing', async () => {
    const { server, client } = await setup(echoReply);
    const reply$ = client.send('TestService.EchoUnary', request('cold'));
    await new Promise((r) => setTimeout(r, 20));
    expect(server.accepted).toBe(0);
    expect(await firstValueFrom(reply$)).toEqual({ message: 'cold', index: 0 });
  });

  it('send() options: timeoutMs (rpc timeout, key 12), headers, metainfo, onHeader', async () => {
    const { server, client } = await setup((req) =>
      (req.args.req as { message: string }).message === 'hang'
        ? { kind: 'none' }
        : {
            kind: 'reply',
            result: { success: { message: 'ok', index: 0 } },
            strHeaders: new Map([['x-reply', 'r']]),
          },
    );
    const headers: Record<string, string>[] = [];
    await lastValueFrom(
      client.send('TestService.EchoUnary', request('x'), {
        headers: { 'x-call': 'c' },
        metainfo: { persistent: { trace: 't1' } },
        onHeader: (h) => headers.push(h),
      }),
    );
    expect(headers).toEqual([{ 'x-reply': 'r' }]);
    expect(server.requests[0]?.strHeaders.get('x-call')).toBe('c');
    expect(server.requests[0]?.strHeaders.get('RPC_PERSIST_trace')).toBe('t1');
    const error = await rejectionOf(
      lastValueFrom(client.send('TestService.EchoUnary', request('hang'), { timeoutMs: 30 })),
    );
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as Error).message).toMatch(
      /^rpc timeout: timeout=30ms, to=TestService, method=EchoUnary, remote=127\.0\.0\.1:\d+$/,
    );
    expect(server.requests[1]?.intHeaders.get(12)).toBe('30');
  });

  it('the client defaultTimeoutMs applies to unary calls', async () => {
    const { client } = await setup(() => ({ kind: 'none' }), { defaultTimeoutMs: 25 });
    const error = await rejectionOf(
      lastValueFrom(client.send('TestService.EchoUnary', request('x'))),
    );
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.RPCTimeout);
  });

  it('unsubscribing before the reply cancels the call and closes its connection', async () => {
    const arrived = latch();
    const { server, client } = await setup(() => {
      arrived.resolve();
      return { kind: 'none' };
    });
    const subscription = client.send('TestService.EchoUnary', request('x')).subscribe();
    await arrived.promise;
    subscription.unsubscribe();
    await waitFor(() => server.open === 0, 'connection closed after the unsubscribe');
  });

  it('business errors, declared exceptions (generated classes) and EXCEPTION replies', async () => {
    const { client } = await setup(
      (req) => {
        switch ((req.args.req as { message: string }).message) {
          case 'biz':
            return {
              kind: 'reply',
              result: {},
              strHeaders: new Map([
                ['biz-status', '10001'],
                ['biz-message', 'insufficient user balance'],
              ]),
            };
          case 'declared':
            return { kind: 'reply', result: { err: { code: 42, message: 'declared failure' } } };
          default:
            return { kind: 'exception', typeId: 6, message: 'biz error: test error' };
        }
      },
      { exceptionClasses: ECHO_EXCEPTIONS },
    );
    const call = (message: string) =>
      rejectionOf(lastValueFrom(client.send('TestService.UnaryWithErr', request(message))));
    expect(await call('biz')).toBeInstanceOf(BizStatusError);
    const declared = await call('declared');
    expect(declared).toBeInstanceOf(EchoException);
    expect(declared).toMatchObject({ code: 42, message: 'declared failure' });
    expect(await call('test error')).toMatchObject({
      typeId: 6,
      message: 'remote or network error[remote]: biz error: test error',
    });
  });

  it('emit() a oneway method: sent at once, completes once written', async () => {
    const { server, client } = await setup(() => ({ kind: 'none' }));
    const done$ = client.emit('TestService.Notify', request('note'));
    // Hot, as Nest's emit(): sent without a subscriber.
    await waitFor(() => server.requests.length === 1, 'oneway request sent');
    expect(await lastValueFrom(done$)).toBeUndefined();
    expect(server.requests[0]).toMatchObject({ name: 'Notify', type: 4 });
  });

  it('send() on a oneway method and emit() on a unary one are clear errors', async () => {
    const { server, client } = await setup(echoReply);
    const sent = await rejectionOf(lastValueFrom(client.send('TestService.Notify', request('x'))));
    expect(sent).toBeInstanceOf(TypeError);
    expect((sent as Error).message).toBe(
      'TTStreamClient: TestService.Notify is oneway: call it with emit()',
    );
    const emitted = await rejectionOf(
      lastValueFrom(client.emit('TestService.EchoUnary', request('x'))),
    );
    expect(emitted).toBeInstanceOf(TTStreamError);
    expect((emitted as TTStreamError).kind).toBe(TTStreamErrorCode.IllegalOperation);
    expect((emitted as Error).message).toMatch(
      /TestService\.EchoUnary is not oneway: call it with send\(\)$/,
    );
    const unknown = await rejectionOf(lastValueFrom(client.send('TestService.Nope', {})));
    expect((unknown as Error).message).toMatch(/has no method 'Nope'/);
    expect(server.accepted).toBe(0);
  });

  it('getService() routes unary methods to send() and oneway ones to emit()', async () => {
    const { server, client } = await setup(echoReply);
    const svc = client.getService<TTStreamServiceClient<TestServiceClient>>('TestService');
    expect(await lastValueFrom(svc.EchoUnary(request('stub', 2)))).toEqual({
      message: 'stub',
      index: 2,
    });
    await lastValueFrom(svc.Notify(request('n')), { defaultValue: undefined });
    await waitFor(() => server.requests.length === 2, 'both requests');
    expect(server.requests.map((r) => [r.name, r.type])).toEqual([
      ['EchoUnary', 1],
      ['Notify', 4],
    ]);
  });

  it('framed shape through pingPongOptions', async () => {
    const { server, client } = await setup(echoReply, { pingPongOptions: { shape: 'framed' } });
    expect(await lastValueFrom(client.send('TestService.EchoUnary', request('f', 1)))).toEqual({
      message: 'f',
      index: 1,
    });
    expect(server.requests[0]?.shape).toBe('framed');
  });

  it('a dispatch hook adds its packet metadata as headers (Nest 12)', async () => {
    const { server, client } = await setup(echoReply);
    const hookable = client as unknown as {
      setOnDispatchHook?: (hook: (packet: { metadata?: Record<string, string> }) => void) => void;
    };
    if (hookable.setOnDispatchHook === undefined) return; // Nest 11 has no hook
    hookable.setOnDispatchHook((packet) => {
      packet.metadata = { 'x-trace': 'abc' };
    });
    await lastValueFrom(client.send('TestService.EchoUnary', request('h')));
    expect(server.requests[0]?.strHeaders.get('x-trace')).toBe('abc');
  });
});

// A unary call made inside a streaming handler follows that handler's deadline.
let downstream: TTStreamClient | undefined;
const seen: { error?: unknown } = {};

@Controller()
class RelayController {
  @StreamPattern('TestService.EchoServer')
  relay(@Payload() req: { message: string }): Observable<unknown> {
    lastValueFrom(downstream!.send('TestService.EchoUnary', request(req.message))).catch(
      (error: unknown) => {
        seen.error = error;
      },
    );
    return NEVER;
  }
}

describe('unary calls inside a handler', () => {
  it("inherit the handler's deadline: rpc timeout, timeout by business", async () => {
    const hanging = await FakePingPongServer.start(() => ({ kind: 'none' }));
    const app = await startServerApp({ controllers: [RelayController] });
    downstream = clientFor(hanging.port, { logger: false });
    const upstream = clientFor(app.port, { logger: false });
    try {
      const outer = await rejectionOf(
        lastValueFrom(
          upstream.serverStream('TestService.EchoServer', request('deep'), { timeoutMs: 100 }),
        ),
      );
      expect(outer).toBeInstanceOf(TTStreamError);
      await waitFor(() => seen.error !== undefined, 'the inner call failed');
      expect(seen.error).toBeInstanceOf(RpcCallError);
      expect((seen.error as RpcCallError).kind).toBe(RpcCallErrorKind.RPCTimeout);
      expect((seen.error as Error).message).toMatch(/timeout by business$/);
      await waitFor(() => hanging.open === 0, 'the inner connection closed');
    } finally {
      await upstream.close();
      await downstream.close();
      await app.app.close();
      await hanging.close();
    }
  });
});
