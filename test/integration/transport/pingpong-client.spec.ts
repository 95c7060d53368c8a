import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ApplicationException,
  BizStatusError,
  RpcCallError,
  RpcCallErrorKind,
  ThriftException,
} from '../../../lib/errors/index.js';
import {
  PingPongClientTransport,
  type PingPongClientOptions,
} from '../../../lib/transport/pingpong-client-transport.js';
import { EchoException } from '../../../sample/generated/echo.js';
import { closedPort } from '../../helpers/closed-port.js';
import { reqArgs, unaryMethod } from '../../helpers/pingpong-peer.js';
import { latch, rejectionOf, waitFor } from '../../helpers/wait.js';
import {
  echoReply,
  FakePingPongServer,
  type FakeAnswer,
  type FakeHandler,
} from './pingpong-fake-server.js';

const EchoUnary = unaryMethod('EchoUnary');
const UnaryWithErr = unaryMethod('UnaryWithErr');
const Notify = unaryMethod('Notify');

describe('PingPongClientTransport against a fake ping-pong server', () => {
  let server: FakePingPongServer | undefined;
  const clients: PingPongClientTransport[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.close();
    server = undefined;
  });

  async function setup(
    handler: FakeHandler,
    options: PingPongClientOptions = {},
  ): Promise<{ fake: FakePingPongServer; client: PingPongClientTransport }> {
    const fake = await FakePingPongServer.start(handler);
    server = fake;
    const client = new PingPongClientTransport({ host: '127.0.0.1', port: fake.port }, options);
    clients.push(client);
    return { fake, client };
  }

  function echo(client: PingPongClientTransport, message: string, count = 1): Promise<unknown> {
    return client.call('TestService', EchoUnary, reqArgs(message, count));
  }

  it('calls a unary method: CALL over TTHeader with Kitex int keys, isn, metainfo, headers', async () => {
    const { fake, client } = await setup(echoReply, { serviceName: 'caller' });
    const seen: Record<string, string>[] = [];
    const response = await client.call('TestService', EchoUnary, reqArgs('hello', 7), {
      headers: { 'x-user': 'u1' },
      metainfo: { transient: { tk: 'tv' }, persistent: { pk: 'pv' } },
      onHeader: (headers) => seen.push(Object.fromEntries(headers)),
    });
    expect(response).toEqual({ message: 'hello', index: 7 });
    expect(await echo(client, 'again')).toEqual({ message: 'again', index: 1 });
    const [first, second] = fake.requests;
    expect(first).toMatchObject({ shape: 'ttheader', name: 'EchoUnary', type: 1, seqId: 1 });
    expect(first?.headerSeqId).toBe(1);
    expect(Object.fromEntries(first?.intHeaders ?? [])).toEqual({
      1: 'unframed',
      3: 'caller',
      20: '',
      6: 'TestService',
      9: 'EchoUnary',
      22: '1',
    });
    expect(Object.fromEntries(first?.strHeaders ?? [])).toEqual({
      'x-user': 'u1',
      RPC_TRANSIT_tk: 'tv',
      RPC_PERSIST_pk: 'pv',
      isn: 'TestService',
    });
    expect(first?.args).toEqual(reqArgs('hello', 7));
    // Same connection, next seq id.
    expect(second).toMatchObject({ seqId: 2, connection: 0 });
    expect(seen).toEqual([{}]);
    expect(client.stats()).toMatchObject({ connections: 1, idle: 1, dialedConnections: 1 });
  });

  it('a timeout is sent in int key 12 and fails the call with Kitex rpc timeout text', async () => {
    const { fake, client } = await setup((req) =>
      req.args.req && (req.args.req as { message: string }).message === 'hang'
        ? { kind: 'none' }
        : echoReply(req),
    );
    const error = await rejectionOf(
      client.call('TestService', EchoUnary, reqArgs('hang'), { timeoutMs: 50 }),
    );
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.RPCTimeout);
    expect((error as RpcCallError).isTimeout).toBe(true);
    expect((error as Error).message).toBe(
      `rpc timeout: timeout=50ms, to=TestService, method=EchoUnary, remote=127.0.0.1:${fake.port}`,
    );
    expect(fake.requests[0]?.intHeaders.get(12)).toBe('50');
    // The reply may still come on that connection: it is closed, the next call dials anew.
    await waitFor(() => fake.open === 0, 'timed-out connection closed');
    expect(await echo(client, 'after')).toEqual({ message: 'after', index: 1 });
    expect(client.stats().dialedConnections).toBe(2);
  });

  it('a business error (biz-* keys, empty REPLY) is a BizStatusError; the connection is reused', async () => {
    const { client } = await setup(() => ({
      kind: 'reply',
      result: {},
      strHeaders: new Map([
        ['biz-status', '10001'],
        ['biz-message', 'insufficient user balance'],
        ['biz-extra', '{"testKey":"testVal"}'],
      ]),
    }));
    const error = await rejectionOf(echo(client, 'x'));
    expect(error).toBeInstanceOf(BizStatusError);
    expect(error).toMatchObject({
      bizStatusCode: 10001,
      bizMessage: 'insufficient user balance',
      bizExtra: { testKey: 'testVal' },
    });
    await rejectionOf(echo(client, 'y'));
    expect(client.stats()).toMatchObject({ dialedConnections: 1, idle: 1 });
  });

  it('a malformed biz-extra fails the call with Kitex text', async () => {
    const { client } = await setup(() => ({
      kind: 'reply',
      result: {},
      strHeaders: new Map([
        ['biz-status', '1'],
        ['biz-extra', 'not json'],
      ]),
    }));
    const error = await rejectionOf(echo(client, 'x'));
    expect((error as Error).message).toBe(
      'remote or network error[remote]: malformed header info, extra: not json',
    );
  });

  it('a declared exception arrives as its generated class, or as a ThriftException', async () => {
    const declared: FakeAnswer = {
      kind: 'reply',
      result: { err: { code: 42, message: 'declared failure' } },
    };
    const { fake } = await setup(() => declared, { exceptionClasses: [EchoException] });
    const typed = clients[0] as PingPongClientTransport;
    const error = await rejectionOf(typed.call('TestService', UnaryWithErr, reqArgs('declared')));
    expect(error).toBeInstanceOf(EchoException);
    expect(error).toMatchObject({ code: 42, message: 'declared failure' });

    const generic = new PingPongClientTransport({ host: '127.0.0.1', port: fake.port });
    clients.push(generic);
    const plain = await rejectionOf(generic.call('TestService', UnaryWithErr, reqArgs('declared')));
    expect(plain).toBeInstanceOf(ThriftException);
    expect(plain).not.toBeInstanceOf(EchoException);
    expect(plain).toMatchObject({ thriftName: 'EchoException', code: 42 });
  });

  it('an EXCEPTION reply is an ApplicationException with Kitex text; the connection stays', async () => {
    const { client } = await setup(() => ({
      kind: 'exception',
      typeId: 6,
      message: 'biz error: test error',
    }));
    const error = await rejectionOf(echo(client, 'x'));
    expect(error).toBeInstanceOf(ApplicationException);
    expect(error).toMatchObject({ typeId: 6, applicationMessage: 'biz error: test error' });
    expect((error as Error).message).toBe('remote or network error[remote]: biz error: test error');
    expect(client.stats()).toMatchObject({ dialedConnections: 1, idle: 1 });
  });

  it('abort: the call fails with canceled by business and its connection is closed', async () => {
    const arrived = latch();
    const { fake, client } = await setup(() => {
      arrived.resolve();
      return { kind: 'none' };
    });
    const controller = new AbortController();
    const pending = client.call('TestService', EchoUnary, reqArgs('x'), {
      signal: controller.signal,
    });
    await arrived.promise;
    controller.abort();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.CanceledByBusiness);
    expect((error as Error).message).toBe(
      `canceled by business: to=TestService, method=EchoUnary, remote=127.0.0.1:${fake.port}`,
    );
    await waitFor(() => fake.open === 0 && client.stats().connections === 0, 'connection closed');
  });

  it('an already aborted signal, or AbortSignal.timeout(), fail as Kitex would', async () => {
    const { fake, client } = await setup(() => ({ kind: 'none' }));
    const aborted = await rejectionOf(
      client.call('TestService', EchoUnary, reqArgs('x'), { signal: AbortSignal.abort() }),
    );
    expect((aborted as RpcCallError).kind).toBe(RpcCallErrorKind.CanceledByBusiness);
    expect(fake.accepted).toBe(0);
    const timedOut = await rejectionOf(
      client.call('TestService', EchoUnary, reqArgs('x'), { signal: AbortSignal.timeout(20) }),
    );
    expect((timedOut as RpcCallError).kind).toBe(RpcCallErrorKind.RPCTimeout);
    expect((timedOut as Error).message).toMatch(/^rpc timeout: .*timeout by business$/);
  });

  it('connection refused: remote or network error: get connection error: dial tcp ...', async () => {
    const port = await closedPort();
    const client = new PingPongClientTransport({ host: '127.0.0.1', port });
    clients.push(client);
    const reported: Error[] = [];
    client.on('error', (e) => reported.push(e));
    const error = await rejectionOf(echo(client, 'x'));
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.GetConnection);
    expect((error as Error).message).toBe(
      `remote or network error: get connection error: dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    expect(reported).toHaveLength(1);
    expect(client.stats().connections).toBe(0);
  });

  it('bounds connections (maxConnections) and waiters (maxWaiters, then request over limit)', async () => {
    const held: (() => void)[] = [];
    const { fake, client } = await setup(
      (req) =>
        new Promise<FakeAnswer>((resolve) => {
          held.push(() => {
            resolve(echoReply(req));
          });
        }),
      { maxConnections: 2, maxWaiters: 1 },
    );
    const calls = [echo(client, 'a'), echo(client, 'b'), echo(client, 'c')];
    await waitFor(() => held.length === 2, 'two calls at the server');
    expect(client.stats()).toMatchObject({ connections: 2, waiting: 1 });
    const over = await rejectionOf(echo(client, 'd'));
    expect((over as RpcCallError).kind).toBe(RpcCallErrorKind.Overlimit);
    expect((over as Error).message).toMatch(
      /^request over limit: 1 calls already wait for one of the 2 connections to 127\.0\.0\.1:\d+ \(maxWaiters\)$/,
    );
    // Releasing one connection serves the waiter on it.
    held.shift()?.();
    await waitFor(() => held.length === 2, 'the waiter at the server');
    for (const release of held.splice(0)) release();
    await waitFor(() => held.length === 0, 'drained');
    expect(await Promise.all(calls)).toEqual([
      { message: 'a', index: 1 },
      { message: 'b', index: 1 },
      { message: 'c', index: 1 },
    ]);
    expect(fake.maxOpen).toBe(2);
    expect(client.stats()).toMatchObject({ dialedConnections: 2, waiting: 0 });
  });

  it('keeps at most maxIdle idle connections and reaps them after idleTimeoutMs', async () => {
    const held: (() => void)[] = [];
    const { fake, client } = await setup(
      (req) =>
        new Promise<FakeAnswer>((resolve) => {
          held.push(() => {
            resolve(echoReply(req));
          });
        }),
      { maxIdle: 2, idleTimeoutMs: 50 },
    );
    const calls = [1, 2, 3, 4].map((i) => echo(client, String(i)));
    await waitFor(() => held.length === 4, 'four calls at the server');
    for (const release of held.splice(0)) release();
    await Promise.all(calls);
    // Two kept idle, two closed at once.
    await waitFor(() => fake.open === 2, 'extra connections closed');
    expect(client.stats()).toMatchObject({ idle: 2 });
    // Then the idle ones go too.
    await waitFor(() => fake.open === 0 && client.stats().connections === 0, 'idle reaped');
    expect(client.stats().idle).toBe(0);
  });

  it('a reply carrying crrst closes its connection after the reply', async () => {
    const { fake, client } = await setup((req) => ({
      ...(echoReply(req) as Extract<FakeAnswer, { kind: 'reply' }>),
      strHeaders: new Map([['crrst', '1']]),
    }));
    expect(await echo(client, 'a')).toEqual({ message: 'a', index: 1 });
    await waitFor(() => fake.open === 0, 'reset connection closed');
    expect(await echo(client, 'b')).toEqual({ message: 'b', index: 1 });
    expect(fake.requests.map((r) => r.connection)).toEqual([0, 1]);
  });

  it('oneway: the ONEWAY message is written, the call completes, nothing is read', async () => {
    const { fake, client } = await setup(() => ({ kind: 'none' }));
    await expect(
      client.call('TestService', Notify, reqArgs('note', 1, 9n)),
    ).resolves.toBeUndefined();
    await waitFor(() => fake.requests.length === 1, 'oneway request at the server');
    expect(fake.requests[0]).toMatchObject({
      name: 'Notify',
      type: 4,
      args: reqArgs('note', 1, 9n),
    });
    expect(fake.requests[0]?.intHeaders.get(22)).toBe('4');
    // As Kitex's client does, the connection is not reused after a oneway call.
    await waitFor(() => fake.open === 0, 'oneway connection closed');
  });

  it('framed shape: no TTHeader, the reply read back framed', async () => {
    const { fake, client } = await setup(echoReply, { shape: 'framed' });
    expect(await echo(client, 'f', 3)).toEqual({ message: 'f', index: 3 });
    expect(fake.requests[0]).toMatchObject({ shape: 'framed', seqId: 1 });
    expect(fake.requests[0]?.intHeaders.size).toBe(0);
  });

  it('ttheader-framed and buffered shapes work too', async () => {
    const { fake, client } = await setup(echoReply, { shape: 'ttheader-framed' });
    expect(await echo(client, 'tf')).toEqual({ message: 'tf', index: 1 });
    expect(fake.requests[0]?.shape).toBe('ttheader-framed');
    expect(fake.requests[0]?.intHeaders.get(1)).toBe('framed');
    const buffered = new PingPongClientTransport(
      { host: '127.0.0.1', port: fake.port },
      { shape: 'buffered' },
    );
    clients.push(buffered);
    expect(await echo(buffered, 'b')).toEqual({ message: 'b', index: 1 });
    expect(fake.requests[1]?.shape).toBe('buffered');
  });

  it('200 concurrent calls over 10 connections each get their own reply', async () => {
    let turn = 0;
    const { fake, client } = await setup(
      async (req) => {
        // Vary the order in which connections answer.
        const waits = turn++ % 3;
        for (let i = 0; i < waits; i++) await new Promise((r) => setImmediate(r));
        return echoReply(req);
      },
      { maxConnections: 10 },
    );
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => echo(client, `m${i}`, i)),
    );
    replies.forEach((reply, i) => {
      expect(reply).toEqual({ message: `m${i}`, index: i });
    });
    expect(fake.maxOpen).toBeLessThanOrEqual(10);
    expect(client.stats().dialedConnections).toBeLessThanOrEqual(10);
    expect(client.stats().waiting).toBe(0);
  });

  it('a reply with another seq id or method name fails the call and closes the connection', async () => {
    const { fake, client } = await setup((req) => ({
      ...(echoReply(req) as Extract<FakeAnswer, { kind: 'reply' }>),
      seqId: req.seqId + 5,
    }));
    const error = await rejectionOf(echo(client, 'x'));
    expect((error as Error).message).toBe(
      'remote or network error[remote]: method[EchoUnary] out of order sequence response, expect[1], receive[6]',
    );
    await waitFor(() => fake.open === 0, 'connection closed');
    fake.setHandler((req) => ({
      ...(echoReply(req) as Extract<FakeAnswer, { kind: 'reply' }>),
      name: 'Other',
    }));
    const named = await rejectionOf(echo(client, 'y'));
    expect((named as Error).message).toBe(
      'remote or network error[remote]: wrong method name, expect=EchoUnary, actual=Other',
    );
  });

  it('undecodable reply bytes fail the call (remote) and close the connection', async () => {
    const { fake, client } = await setup(() => ({
      kind: 'raw',
      bytes: Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0),
    }));
    const error = await rejectionOf(echo(client, 'x'));
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).remote).toBe(true);
    expect((error as Error).message).toMatch(/^remote or network error\[remote\]: /);
    await waitFor(() => fake.open === 0 && client.stats().connections === 0, 'connection closed');
  });

  it('a reply over maxMessageBytes fails the call and closes the connection', async () => {
    const { fake, client } = await setup(echoReply, { maxMessageBytes: 1024 });
    const error = await rejectionOf(echo(client, 'x'.repeat(4096)));
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.RemoteOrNetwork);
    expect((error as Error).message).toMatch(/1024/);
    await waitFor(() => fake.open === 0, 'connection closed');
  });

  it('the server closing the connection mid-call fails it with remote or network error', async () => {
    const { client } = await setup(() => ({ kind: 'close' }));
    const error = await rejectionOf(echo(client, 'x'));
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.RemoteOrNetwork);
    expect((error as Error).message).toMatch(/^remote or network error: /);
  });

  it('close() fails calls in flight and waiting; later calls fail at once', async () => {
    const { client } = await setup(() => ({ kind: 'none' }), { maxConnections: 1 });
    const inFlight = echo(client, 'a');
    const waiting = echo(client, 'b');
    await waitFor(() => client.stats().waiting === 1, 'one waiter');
    await client.close();
    for (const error of await Promise.all([rejectionOf(inFlight), rejectionOf(waiting)])) {
      expect((error as Error).message).toBe('internal exception: client is closed');
    }
    const later = await rejectionOf(echo(client, 'c'));
    expect((later as RpcCallError).kind).toBe(RpcCallErrorKind.InternalException);
  });

  it('arguments that do not encode fail the call before any connection', async () => {
    const { fake, client } = await setup(echoReply);
    const error = await rejectionOf(
      client.call('TestService', EchoUnary, { req: { message: 5, userId: 1n, count: 1 } }),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(RpcCallError);
    expect(fake.accepted).toBe(0);
  });
});
