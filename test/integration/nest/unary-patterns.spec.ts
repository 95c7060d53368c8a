import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type CallHandler,
  type CanActivate,
  Catch,
  Controller,
  type ExecutionContext,
  type INestMicroservice,
  type NestInterceptor,
  type PipeTransform,
  type RpcExceptionFilter,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { map, type Observable, throwError } from 'rxjs';
import { BizStatusError, type TTStreamContext } from '../../../lib/index.js';
import type { PingPongShape } from '../../../lib/protocol/pingpong-shape.js';
import { ThriftMessageType } from '../../../lib/thrift/message-envelope.js';
import { EchoException, type Request, type Response } from '../../../sample/generated/echo.js';
import { startEchoServer } from '../../../sample/server/create-echo-server.js';
import {
  PingPongPeer,
  reqArgs,
  unaryMethod,
  type PingPongRequest,
} from '../../helpers/pingpong-peer.js';
import { waitFor } from '../../helpers/wait.js';
import { startServerApp, type ServerApp } from './harness.js';

const call = (
  shape: PingPongShape,
  name: string,
  seqId: number,
  message: string,
  count = 1,
  extra: Partial<PingPongRequest> = {},
): PingPongRequest => ({ shape, name, seqId, args: reqArgs(message, count), ...extra });

const oneway = (shape: PingPongShape, seqId: number, message: string, userId: bigint) =>
  ({
    shape,
    name: 'Notify',
    type: ThriftMessageType.Oneway,
    seqId,
    args: reqArgs(message, 0, userId),
  }) as const;

describe('@MessagePattern / @EventPattern on the sample server', () => {
  let app: INestMicroservice;
  let port: number;
  const peers: PingPongPeer[] = [];
  const peer = async (): Promise<PingPongPeer> => {
    const p = await PingPongPeer.connect(port);
    peers.push(p);
    return p;
  };
  beforeAll(async () => {
    const server = await startEchoServer({ host: '127.0.0.1', port: 0 }, false);
    app = server.app;
    port = server.port;
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(['ttheader', 'ttheader-framed', 'framed', 'buffered'] as const)(
    'EchoUnary over %s',
    async (shape) => {
      const p = await peer();
      const reply = await p.call(call(shape, 'EchoUnary', 3, 'hello', 7));
      expect(reply).toMatchObject({ shape, type: ThriftMessageType.Reply, seqId: 3 });
      expect(reply.result).toEqual({ success: { message: 'hello', index: 7 } });
    },
  );

  it('UnaryWithErr: plain error, declared exception, business error, success', async () => {
    const p = await peer();
    const plain = await p.call(call('ttheader', 'UnaryWithErr', 1, 'test error'));
    expect(plain.exception).toEqual({ typeId: 6, message: 'biz error: test error' });
    expect([...plain.intHeaders]).toEqual([[22, '3']]);

    const declared = await p.call(call('ttheader', 'UnaryWithErr', 2, 'declared'));
    expect(declared.type).toBe(ThriftMessageType.Reply);
    expect(declared.result).toEqual({ err: { code: 42, message: 'declared failure' } });

    const biz = await p.call(call('ttheader', 'UnaryWithErr', 3, 'balance', 0));
    expect(biz.type).toBe(ThriftMessageType.Reply);
    expect(biz.result).toEqual({});
    expect(Object.fromEntries(biz.strHeaders)).toEqual({
      'biz-status': '10001',
      'biz-message': 'insufficient user balance',
      'biz-extra': '{"testKey":"testVal"}',
    });

    const ok = await p.call(call('ttheader', 'UnaryWithErr', 4, 'fine', 5));
    expect(ok.result).toEqual({ success: { message: 'ok', index: 5 } });
    expect(p.closed).toBe(false);
  });

  it('UnaryWithErr over Framed: the same outcomes, the business error as an empty REPLY', async () => {
    const p = await peer();
    const plain = await p.call(call('framed', 'UnaryWithErr', 1, 'test error'));
    expect(plain.exception).toEqual({ typeId: 6, message: 'biz error: test error' });
    const declared = await p.call(call('framed', 'UnaryWithErr', 2, 'declared'));
    expect(declared.result).toEqual({ err: { code: 42, message: 'declared failure' } });
    const biz = await p.call(call('framed', 'UnaryWithErr', 3, 'balance', 0));
    expect(biz).toMatchObject({ type: ThriftMessageType.Reply, result: {} });
  });

  it('Notify (oneway) sends nothing back; last-notify reads what it recorded', async () => {
    const p = await peer();
    p.send(oneway('framed', 1, 'first', 77n), oneway('ttheader', 2, 'second', 77n));
    const reply = await p.call({
      shape: 'ttheader',
      name: 'EchoUnary',
      seqId: 3,
      args: reqArgs('last-notify', 0, 77n),
    });
    expect(reply.seqId).toBe(3);
    expect(reply.result).toEqual({ success: { message: 'second', index: 2 } });
    expect(p.replies).toHaveLength(1);
  });

  it('an unknown method of the service: Kitex UnknownMethod, then the connection closes', async () => {
    const p = await peer();
    const reply = await p.call({
      shape: 'ttheader',
      name: 'Nope',
      seqId: 9,
      body: new Uint8Array([0]),
      method: unaryMethod('EchoUnary'),
    });
    expect(reply.exception).toEqual({
      typeId: 1,
      message: 'unknown method Nope (service TestService)',
    });
    await p.waitClosed();
  });
});

class Oops extends Error {}

/** Refuses calls carrying `x-deny`. */
class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const ctx = context.switchToRpc().getContext<TTStreamContext>();
    return ctx.getHeader('x-deny') === undefined;
  }
}

class UpperPipe implements PipeTransform<Request, Request> {
  transform(value: Request): Request {
    return { ...value, message: value.message.toUpperCase() };
  }
}

class BangInterceptor implements NestInterceptor<Response, Response> {
  intercept(_context: ExecutionContext, next: CallHandler<Response>): Observable<Response> {
    return next.handle().pipe(map((r) => ({ ...r, message: `${r.message}!` })));
  }
}

@Catch(Oops)
class OopsFilter implements RpcExceptionFilter<Oops> {
  catch(exception: Oops): Observable<never> {
    return throwError(() => new BizStatusError(4242, `filtered: ${exception.message}`));
  }
}

const seen: { ctx?: TTStreamContext; notified: string[] } = { notified: [] };

@Controller()
class UnaryController {
  @MessagePattern('TestService.EchoUnary')
  @UseGuards(DenyGuard)
  @UseInterceptors(BangInterceptor)
  @UseFilters(OopsFilter)
  EchoUnary(@Payload(UpperPipe) req: Request, @Ctx() ctx: TTStreamContext): Response {
    seen.ctx = ctx;
    if (req.message === 'OOPS') throw new Oops('oops');
    if (req.message === 'WRAPPED') {
      throw new RpcException(new EchoException({ code: 1, message: 'wrapped' }));
    }
    const meta = ctx.getMetainfo();
    ctx.setHeader('x-echo', ctx.getHeader('x-in') ?? '');
    ctx.setHeader({
      'x-transient': meta.transient['k'] ?? '',
      'x-persist': meta.persistent['p'] ?? '',
    });
    return { message: req.message, index: req.count };
  }

  @MessagePattern('TestService.UnaryWithErr')
  UnaryWithErr(@Payload() req: Request): Observable<Response> {
    if (req.message === 'wrapped') {
      throw new RpcException(new EchoException({ code: 1, message: 'wrapped' }));
    }
    // An Observable's error (not a throw), declared: still its result field.
    return throwError(() => new EchoException({ code: req.count, message: 'emitted' }));
  }

  @EventPattern('TestService.Notify')
  Notify(@Payload(UpperPipe) req: Request): void {
    seen.notified.push(req.message);
  }
}

/** A second subscriber of the same event, as Nest allows for @EventPattern. */
@Controller()
class AlsoNotified {
  @EventPattern('TestService.Notify')
  Notify(@Payload() req: Request): void {
    seen.notified.push(`also:${req.message}`);
  }
}

describe('@MessagePattern with guards, pipes, interceptors, filters and @Ctx()', () => {
  let s: ServerApp;
  const peers: PingPongPeer[] = [];
  const peer = async (): Promise<PingPongPeer> => {
    const p = await PingPongPeer.connect(s.port);
    peers.push(p);
    return p;
  };
  beforeAll(async () => {
    s = await startServerApp({ controllers: [UnaryController, AlsoNotified] });
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await s.app.close();
  });

  it('@Ctx() has the request headers, metainfo and timeout; setHeader reaches the reply', async () => {
    const p = await peer();
    const strHeaders = new Map([
      ['isn', 'TestService'],
      ['x-in', 'v1'],
      ['RPC_TRANSIT_k', 'tv'],
      ['RPC_PERSIST_p', 'pv'],
    ]);
    const intHeaders = new Map([[12, '5000']]);
    const reply = await p.call(
      call('ttheader', 'EchoUnary', 1, 'hi', 2, { strHeaders, intHeaders }),
    );
    // The pipe upper-cased the payload, the interceptor appended `!`.
    expect(reply.result).toEqual({ success: { message: 'HI!', index: 2 } });
    expect(Object.fromEntries(reply.strHeaders)).toEqual({
      'x-echo': 'v1',
      'x-transient': 'tv',
      'x-persist': 'pv',
    });
    const ctx = seen.ctx as TTStreamContext;
    expect(ctx.getPattern()).toBe('TestService.EchoUnary');
    expect(ctx.getMode()).toBe('unary');
    expect(ctx.getHeaders()).toMatchObject({ 'x-in': 'v1' });
    expect(ctx.getMetainfo()).toEqual({ transient: { k: 'tv' }, persistent: { p: 'pv' } });
    expect(ctx.getTimeoutMs()).toBe(5000);
    expect(ctx.signal.aborted).toBe(false);
  });

  it('a guard returning false: business error 403, as for streams', async () => {
    const p = await peer();
    const strHeaders = new Map([
      ['isn', 'TestService'],
      ['x-deny', '1'],
    ]);
    const reply = await p.call(call('ttheader', 'EchoUnary', 1, 'hi', 1, { strHeaders }));
    expect(reply).toMatchObject({ type: ThriftMessageType.Reply, result: {} });
    expect(reply.strHeaders.get('biz-status')).toBe('403');
    expect(reply.strHeaders.get('biz-message')).toBe('Forbidden resource');
  });

  it('a method exception filter maps the error', async () => {
    const p = await peer();
    const reply = await p.call(call('ttheader', 'EchoUnary', 1, 'oops'));
    expect(reply.strHeaders.get('biz-status')).toBe('4242');
    expect(reply.strHeaders.get('biz-message')).toBe('filtered: oops');
  });

  it('a declared exception wrapped in an RpcException, or emitted by an Observable', async () => {
    const p = await peer();
    const wrapped = await p.call(call('framed', 'UnaryWithErr', 1, 'wrapped'));
    expect(wrapped.result).toEqual({ err: { code: 1, message: 'wrapped' } });
    const emitted = await p.call(call('framed', 'UnaryWithErr', 2, 'x', 9));
    expect(emitted.result).toEqual({ err: { code: 9, message: 'emitted' } });
    // Not among EchoUnary's `throws`: an ordinary failure.
    const undeclared = await p.call(call('framed', 'EchoUnary', 3, 'wrapped'));
    expect(undeclared.exception).toEqual({ typeId: 6, message: 'biz error: wrapped' });
  });

  it('@EventPattern runs its pipes and every subscriber; nothing is sent back', async () => {
    const p = await peer();
    p.send(oneway('buffered', 1, 'quiet', 1n));
    await waitFor(() => seen.notified.includes('QUIET'), 'the Notify handler');
    await waitFor(() => seen.notified.includes('also:quiet'), 'the second Notify handler');
    const reply = await p.call(call('buffered', 'EchoUnary', 2, 'after'));
    expect(reply.seqId).toBe(2);
    expect(p.replies).toHaveLength(1);
  });
});

describe('listen() checks @MessagePattern / @EventPattern against the IDL', () => {
  const fails = async (controller: unknown, pattern: RegExp): Promise<void> => {
    await expect(startServerApp({ controllers: [controller as never] })).rejects.toThrow(pattern);
  };

  it('@MessagePattern on a streaming method', async () => {
    @Controller()
    class C {
      @MessagePattern('TestService.Echo')
      h(): undefined {
        return undefined;
      }
    }
    await fails(
      C,
      /@MessagePattern\('TestService\.Echo'\).*bidirectional streaming.*@StreamPattern/,
    );
  });

  it('@EventPattern on a method that replies', async () => {
    @Controller()
    class C {
      @EventPattern('TestService.EchoUnary')
      h(_data: unknown): undefined {
        return undefined;
      }
    }
    await fails(C, /@EventPattern\('TestService\.EchoUnary'\).*expects a reply.*@MessagePattern/);
  });

  it('@MessagePattern on a oneway method', async () => {
    @Controller()
    class C {
      @MessagePattern('TestService.Notify')
      h(): undefined {
        return undefined;
      }
    }
    await fails(C, /@MessagePattern\('TestService\.Notify'\).*oneway.*@EventPattern/);
  });

  it('a method the IDL service lacks', async () => {
    @Controller()
    class C {
      @MessagePattern('TestService.Nope')
      h(): undefined {
        return undefined;
      }
    }
    await fails(C, /@MessagePattern\('TestService\.Nope'\).*Nope/);
  });
});
