import { afterEach, describe, expect, it } from '@jest/globals';
import { RpcCallError, RpcCallErrorKind } from '../../../lib/errors/index.js';
import { PingPongClientTransport } from '../../../lib/transport/pingpong-client-transport.js';
import { stringCodec } from '../../helpers/codecs.js';
import { call, SERVICE } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { reqArgs, unaryMethod } from '../../helpers/pingpong-peer.js';
import { latch, waitFor } from '../../helpers/wait.js';
import { echoReply, FakePingPongServer } from './pingpong-fake-server.js';

const EchoUnary = unaryMethod('EchoUnary');

// A unary call made by a streaming handler follows that handler's stream, as streams do.
describe('unary calls inside a stream handler', () => {
  let loop: Loopback | undefined;
  let fake: FakePingPongServer | undefined;
  let client: PingPongClientTransport | undefined;
  afterEach(async () => {
    await client?.close();
    await loop?.close();
    await fake?.close();
    loop = fake = client = undefined;
  });

  async function start(
    handler: (unary: PingPongClientTransport) => Promise<void>,
    answer = true,
  ): Promise<Loopback> {
    const arrived = answer ? undefined : latch();
    fake = await FakePingPongServer.start((req) => {
      arrived?.resolve();
      return answer ? echoReply(req) : { kind: 'none' };
    });
    const unary = new PingPongClientTransport({ host: '127.0.0.1', port: fake.port });
    client = unary;
    loop = await startLoopback((s) => {
      s.register(SERVICE, 'Relay', {
        mode: 'bidirectional',
        requestCodec: stringCodec,
        responseCodec: stringCodec,
        handler: () => handler(unary),
      });
    });
    return loop;
  }

  it('send the handler method as FromMethod (int key 20)', async () => {
    const done = latch<unknown>();
    const l = await start(async (unary) => {
      done.resolve(await unary.call(SERVICE, EchoUnary, reqArgs('in-handler')));
    });
    const stream = l.client.openStream(call('Relay'));
    await stream.closeSend();
    expect(await done.promise).toEqual({ message: 'in-handler', index: 1 });
    expect(fake?.requests[0]?.intHeaders.get(20)).toBe('Relay');
    await stream.done.catch(() => undefined);
  });

  it('a handler that returns cancels its call in flight: canceled by business', async () => {
    const outcome = latch<unknown>();
    const l = await start(async (unary) => {
      // Not awaited: the handler returns while the call waits for its reply.
      unary.call(SERVICE, EchoUnary, reqArgs('x')).then(outcome.resolve, outcome.resolve);
      await waitFor(() => fake?.requests.length === 1, 'the call reached the server');
    }, false);
    const stream = l.client.openStream(call('Relay'));
    await stream.closeSend();
    const error = await outcome.promise;
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).kind).toBe(RpcCallErrorKind.CanceledByBusiness);
    expect((error as Error).message).toMatch(/canceled by business handler returning$/);
    await waitFor(() => fake?.open === 0, 'the call connection closed');
  });

  it('parent: null detaches the call from the handler', async () => {
    const outcome = latch<unknown>();
    const l = await start(async (unary) => {
      unary
        .call(SERVICE, EchoUnary, reqArgs('x'), { parent: null, timeoutMs: 100 })
        .then(outcome.resolve, outcome.resolve);
      await waitFor(() => fake?.requests.length === 1, 'the call reached the server');
    }, false);
    const stream = l.client.openStream(call('Relay'));
    await stream.closeSend();
    expect(((await outcome.promise) as RpcCallError).kind).toBe(RpcCallErrorKind.RPCTimeout);
  });
});
