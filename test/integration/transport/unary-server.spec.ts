import { afterEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { BizStatusError } from '../../../lib/errors/index.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import { encodePingPong } from '../../../lib/protocol/pingpong-encoder.js';
import type { PingPongShape } from '../../../lib/protocol/pingpong-shape.js';
import { encodeThriftMessage, ThriftMessageType } from '../../../lib/thrift/message-envelope.js';
import { declaredExceptionField } from '../../../lib/thrift/declared-exception.js';
import type { UnaryMethodDescriptor } from '../../../lib/thrift/thrift-idl.js';
import { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import {
  TTStreamServerTransport,
  type ServerTransportOptions,
} from '../../../lib/transport/server-transport.js';
import type { UnaryCall, UnaryHandler } from '../../../lib/transport/unary-route.js';
import { DEADLINE_REPLY_GRACE_MS } from '../../../lib/transport/unary-server.js';
import { EchoException } from '../../../sample/generated/echo.js';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { headerFrame } from '../../helpers/frames.js';
import {
  encodeRequest,
  parseReply,
  PingPongPeer,
  reqArgs,
  unaryMethod,
  type PingPongRequest,
} from '../../helpers/pingpong-peer.js';
import { collect, latch, waitFor } from '../../helpers/wait.js';

const SHAPES: readonly PingPongShape[] = ['ttheader', 'ttheader-framed', 'framed', 'buffered'];
const hasHeader = (shape: PingPongShape): boolean => shape.startsWith('ttheader');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Req {
  readonly message: string;
  readonly count: number;
}

/** A server on 127.0.0.1:0 serving EchoUnary, UnaryWithErr and Notify (and the echo streams). */
class Fixture {
  active = 0;
  maxActive = 0;
  readonly notified: string[] = [];
  readonly aborted: unknown[] = [];
  /** Called when a `hang` call is aborted. */
  onAbort: (() => void) | undefined;
  readonly calls: UnaryCall[] = [];
  /** Released by the test: handlers given `wait` block until then. */
  gate = latch();
  port = 0;
  readonly server: TTStreamServerTransport;

  constructor(options: ServerTransportOptions) {
    this.server = new TTStreamServerTransport({ gracePeriodMs: 2000, ...options });
    registerEcho(this.server);
    this.route('EchoUnary', async (c, req) => {
      await this.behave(c, req);
      if (req.message === 'header') c.setReplyHeader('x-reply', 'yes');
      return { message: req.message, index: req.count };
    });
    this.route('UnaryWithErr', (_c, req) => {
      if (req.message === 'test error') throw new Error('test error');
      if (req.message === 'declared') {
        throw new EchoException({ code: 42, message: 'declared failure' });
      }
      if (req.count === 0) {
        throw new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' });
      }
      return Promise.resolve({ message: 'ok', index: req.count });
    });
    this.route('Notify', async (c, req) => {
      await this.behave(c, req);
      this.notified.push(req.message);
      return undefined;
    });
  }

  /** `sleep:N` sleeps N ms; `wait` blocks until the gate opens; `hang` until the signal aborts. */
  private async behave(c: UnaryCall, req: Req): Promise<void> {
    this.calls.push(c);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (req.message.startsWith('sleep:')) await sleep(Number(req.message.slice(6)));
      if (req.message === 'wait') await this.gate.promise;
      if (req.message === 'hang') {
        await new Promise<void>((resolve) => {
          c.signal.addEventListener('abort', () => {
            this.aborted.push(c.signal.reason);
            this.onAbort?.();
            resolve();
          });
        });
      }
    } finally {
      this.active--;
    }
  }

  private route(name: string, handler: (call: UnaryCall, req: Req) => Promise<unknown>): void {
    const method: UnaryMethodDescriptor = unaryMethod(name);
    const run: UnaryHandler = (c) => handler(c, c.args['req'] as Req);
    this.server.registerUnary('TestService', name, {
      oneway: method.oneway,
      returnsVoid: method.returnsVoid,
      argsCodec: method.argsCodec,
      resultCodec: method.resultCodec,
      declaredException: (error) => declaredExceptionField(method, error),
      handler: run,
    });
  }

  async listen(): Promise<this> {
    const bound = await this.server.listen({ host: '127.0.0.1', port: 0 });
    this.port = (bound as { port: number }).port;
    return this;
  }
}

const echo = (
  shape: PingPongShape,
  seqId: number,
  message: string,
  extra: Partial<PingPongRequest> = {},
): PingPongRequest => ({
  shape,
  name: 'EchoUnary',
  seqId,
  args: reqArgs(message, seqId),
  ...extra,
});

const withErr = (shape: PingPongShape, seqId: number, message: string, count = 0) =>
  ({ shape, name: 'UnaryWithErr', seqId, args: reqArgs(message, count) }) as const;

/** Strict Binary CALL bytes of `name` with an empty struct (for unknown methods). */
const emptyCall = (shape: PingPongShape, name: string, strHeaders?: ReadonlyMap<string, string>) =>
  ({
    shape,
    name,
    seqId: 7,
    body: new Uint8Array([0]),
    method: unaryMethod('EchoUnary'),
    strHeaders,
  }) as const;

/** A u32 length, then `message` (whatever it is: encodePingPong accepts strict Binary only). */
function framed(message: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + message.length);
  out.writeUInt32BE(message.length, 0);
  out.set(message, 4);
  return out;
}

describe('unary and oneway calls served by TTStreamServerTransport', () => {
  let fx: Fixture | undefined;
  const peers: PingPongPeer[] = [];
  const start = async (options: ServerTransportOptions = {}): Promise<Fixture> => {
    fx = await new Fixture(options).listen();
    return fx;
  };
  const peer = async (): Promise<PingPongPeer> => {
    const p = await PingPongPeer.connect((fx as Fixture).port);
    peers.push(p);
    return p;
  };
  afterEach(async () => {
    fx?.gate.resolve();
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await fx?.server.close();
    fx = undefined;
  });

  it.each(SHAPES)('answers a %s call in its own shape', async (shape) => {
    await start();
    const p = await peer();
    const reply = await p.call(echo(shape, 41, 'hello', { headerSeqId: 999 }));
    expect(reply).toMatchObject({
      shape,
      type: ThriftMessageType.Reply,
      name: 'EchoUnary',
      seqId: 41,
    });
    expect(reply.result).toEqual({ success: { message: 'hello', index: 41 } });
    if (hasHeader(shape)) {
      // Kitex: SEQ = the message's seqid (even when the request's differed), int key 22 only.
      expect(reply.headerSeqId).toBe(41);
      expect([...reply.intHeaders]).toEqual([[22, '2']]);
      expect(reply.strHeaders.size).toBe(0);
    } else {
      expect(reply.intHeaders.size).toBe(0);
    }
    expect(fx?.calls[0]?.shape).toBe(shape);
  });

  it('serves the four shapes mixed on one connection, one by one and pipelined', async () => {
    await start();
    const p = await peer();
    for (const [i, shape] of SHAPES.entries()) {
      const reply = await p.call(echo(shape, i + 1, shape));
      expect(reply).toMatchObject({ shape, seqId: i + 1, result: { success: { message: shape } } });
    }
    p.send(...SHAPES.map((shape, i) => echo(shape, 10 + i, shape)));
    const replies = (await p.waitReplies(8)).slice(4);
    expect(replies.map((r) => [r.shape, r.seqId])).toEqual(SHAPES.map((s, i) => [s, 10 + i]));
    expect(p.closed).toBe(false);
  });

  it.each(SHAPES)(
    'pipelined %s calls: replies in request order though the first is slower',
    async (shape) => {
      const f = await start();
      const p = await peer();
      p.send(echo(shape, 1, 'sleep:150'), echo(shape, 2, 'fast'));
      const replies = await p.waitReplies(2);
      expect(replies.map((r) => [r.seqId, (r.result?.['success'] as Req).message])).toEqual([
        [1, 'sleep:150'],
        [2, 'fast'],
      ]);
      // Both ran at once: the second did not wait for the first to be read after it.
      expect(f.maxActive).toBe(2);
    },
  );

  it('a declared exception goes in its result field (REPLY); the connection stays open', async () => {
    await start();
    const p = await peer();
    for (const shape of SHAPES) {
      const reply = await p.call(withErr(shape, 3, 'declared'));
      expect(reply.type).toBe(ThriftMessageType.Reply);
      expect(reply.result).toEqual({ err: { code: 42, message: 'declared failure' } });
    }
    expect(p.closed).toBe(false);
  });

  it('a business error over TTHeader: empty REPLY plus biz-* keys', async () => {
    await start();
    const p = await peer();
    for (const shape of ['ttheader', 'ttheader-framed'] as const) {
      const reply = await p.call(withErr(shape, 4, 'balance', 0));
      expect(reply.type).toBe(ThriftMessageType.Reply);
      expect(reply.result).toEqual({});
      expect(Object.fromEntries(reply.strHeaders)).toEqual({
        'biz-status': '10001',
        'biz-message': 'insufficient user balance',
        'biz-extra': '{"testKey":"testVal"}',
      });
      expect([...reply.intHeaders]).toEqual([[22, '2']]);
    }
  });

  it.each(['framed', 'buffered'] as const)(
    'a business error over %s: the empty REPLY alone, as Kitex sends',
    async (shape) => {
      await start();
      const p = await peer();
      const reply = await p.call(withErr(shape, 5, 'balance', 0));
      expect(reply).toMatchObject({ shape, type: ThriftMessageType.Reply, seqId: 5, result: {} });
      expect(reply.strHeaders.size + reply.intHeaders.size).toBe(0);
      // Exactly the envelope and a STOP byte.
      const raw = p.replies[0]?.message as Uint8Array;
      expect(raw.length).toBe(4 + 4 + 'UnaryWithErr'.length + 4 + 1);
    },
  );

  it.each(SHAPES)(
    'a plain error over %s: EXCEPTION 6 `biz error: test error`, connection open',
    async (shape) => {
      await start();
      const p = await peer();
      const reply = await p.call(withErr(shape, 6, 'test error'));
      expect(reply).toMatchObject({
        type: ThriftMessageType.Exception,
        seqId: 6,
        exception: { typeId: 6, message: 'biz error: test error' },
      });
      if (hasHeader(shape)) expect([...reply.intHeaders]).toEqual([[22, '3']]);
      const next = await p.call(withErr(shape, 7, 'fine', 2));
      expect(next.result).toEqual({ success: { message: 'ok', index: 2 } });
    },
  );

  it('unknown method with isn: type 1 with Kitex text, crrst, then the connection closes', async () => {
    await start();
    const p = await peer();
    const reply = await p.call(emptyCall('ttheader', 'Nope'));
    expect(reply).toMatchObject({
      type: ThriftMessageType.Exception,
      seqId: 7,
      exception: { typeId: 1, message: 'unknown method Nope (service TestService)' },
    });
    expect(reply.strHeaders.get('crrst')).toBe('1');
    await p.waitClosed();
  });

  it.each([
    ['framed', undefined],
    ['buffered', undefined],
    ['ttheader', new Map<string, string>()],
  ] as const)('unknown method over %s without isn: type 20, then closed', async (shape, keys) => {
    await start();
    const p = await peer();
    const reply = await p.call(emptyCall(shape, 'Nope', keys));
    expect(reply.exception).toEqual({ typeId: 20, message: 'unknown service , method Nope' });
    if (shape === 'ttheader') expect(reply.strHeaders.get('crrst')).toBe('1');
    await p.waitClosed();
    // A fresh connection is served.
    const q = await peer();
    expect((await q.call(echo(shape, 1, 'again'))).result).toBeDefined();
  });

  it.each(['framed', 'ttheader'] as const)(
    'a whole %s frame whose message is cut short: EXCEPTION 7, then closed',
    async (shape) => {
      await start();
      const p = await peer();
      const whole = encodeThriftMessage(
        { name: 'EchoUnary', type: ThriftMessageType.Call, seqId: 9 },
        unaryMethod('EchoUnary').argsCodec.encode(reqArgs('cut')),
      );
      const cut = whole.subarray(0, whole.length - 6);
      p.sendBytes(
        encodePingPong({
          shape,
          seqId: 9,
          strHeaders: new Map([['isn', 'TestService']]),
          message: cut,
        }),
      );
      const [reply] = await p.waitReplies(1);
      expect(reply).toMatchObject({ type: ThriftMessageType.Exception, seqId: 9 });
      expect(reply?.exception?.typeId).toBe(7);
      if (shape === 'ttheader') expect(reply?.strHeaders.get('crrst')).toBe('1');
      await p.waitClosed();
    },
  );

  it('non-strict (old) binary in Framed: closed with no reply, first message or later', async () => {
    await start();
    const name = Buffer.from('EchoUnary');
    const body = unaryMethod('EchoUnary').argsCodec.encode(reqArgs('old'));
    const old = Buffer.alloc(4 + name.length + 1 + 4);
    old.writeInt32BE(name.length, 0);
    name.copy(old, 4);
    old.writeUInt8(ThriftMessageType.Call, 4 + name.length);
    old.writeInt32BE(1, 5 + name.length);
    const bytes = framed(Buffer.concat([old, body]));
    const first = await peer();
    first.sendBytes(bytes);
    await first.waitClosed();
    expect(first.receivedBytes).toBe(0);
    const later = await peer();
    await later.call(echo('framed', 1, 'ok'));
    later.sendBytes(bytes);
    await later.waitClosed();
    expect(later.replies).toHaveLength(1);
  });

  it('a declared length of 2 GiB is never buffered: closed at once over the cap', async () => {
    await start();
    const p = await peer();
    await p.call(echo('framed', 1, 'ok'));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(0x7fff_fff0, 0);
    head.writeUInt16BE(0x8001, 4);
    p.sendBytes(head);
    await p.waitClosed();
    expect(p.replies).toHaveLength(1);
  });

  it('a declared length of 2 GiB under the cap: bounded buffering, closed by frameTimeoutMs', async () => {
    await start({ maxFrameBytes: 0x7fff_ffff, frameTimeoutMs: 300 });
    const p = await peer();
    await p.call(echo('framed', 1, 'ok'));
    const before = process.memoryUsage();
    const head = Buffer.alloc(64 * 1024);
    head.writeUInt32BE(0x7fff_fff0, 0);
    head.writeUInt32BE(0x8001_0001, 4);
    p.sendBytes(head);
    await p.waitClosed();
    const after = process.memoryUsage();
    const grown = after.arrayBuffers + after.heapUsed - before.arrayBuffers - before.heapUsed;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    expect(p.replies).toHaveLength(1);
    const q = await peer();
    expect((await q.call(echo('framed', 2, 'fresh'))).seqId).toBe(2);
  });

  it('a REPLY sent to the server: EXCEPTION InvalidMessageType, then closed', async () => {
    await start();
    const p = await peer();
    const reply = await p.call({ ...echo('ttheader', 4, 'x'), type: ThriftMessageType.Reply });
    expect(reply.exception?.typeId).toBe(2); // InvalidMessageType
    expect(reply.exception?.message).toContain('unexpected message type 2');
    await p.waitClosed();
  });

  it('garbage after a call closes the connection; the server serves the next one', async () => {
    await start();
    const p = await peer();
    await p.call(echo('buffered', 1, 'ok'));
    p.sendBytes(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await p.waitClosed();
    expect(p.replies).toHaveLength(1);
    const q = await peer();
    expect((await q.call(echo('buffered', 2, 'next'))).seqId).toBe(2);
  });

  it('requests before bad bytes in the same chunk are answered in order, then closed (as Kitex)', async () => {
    await start();
    for (const shape of ['ttheader', 'framed'] as const) {
      const p = await peer();
      // One write: two requests (the first slow), then bytes that are no message at all.
      p.sendBytes(
        Buffer.concat([
          encodeRequest(echo(shape, 1, 'sleep:50')),
          encodeRequest(echo(shape, 2, 'fast')),
          Buffer.from('GET / HTTP/1.1\r\n\r\n'),
        ]),
      );
      await p.waitClosed();
      const replies = p.replies.map(parseReply);
      expect(replies.map((r) => r.seqId)).toEqual([1, 2]);
      expect(replies[1]?.result).toEqual({ success: { message: 'fast', index: 2 } });
    }
  });

  it('a peer that keeps sending bad bytes after good requests is still closed', async () => {
    await start();
    const p = await peer();
    p.sendBytes(
      Buffer.concat([encodeRequest(echo('framed', 1, 'sleep:30')), Buffer.alloc(64, 0xff)]),
    );
    // Nothing more is read from it: the connection closes once the reply is out.
    for (let i = 0; i < 20 && !p.closed; i++) {
      p.sendBytes(Buffer.alloc(16 * 1024, 0xff));
      await sleep(5);
    }
    await p.waitClosed();
    expect(p.replies.map(parseReply).map((r) => r.seqId)).toEqual([1]);
  });

  it('a TTHeader request over maxHeaderKeys closes the connection', async () => {
    await start({ maxHeaderKeys: 4 });
    const p = await peer();
    await p.call(echo('ttheader', 1, 'few keys'));
    const strHeaders = new Map(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => [k, k]));
    p.send(echo('ttheader', 2, 'many keys', { strHeaders }));
    await p.waitClosed();
    expect(p.replies).toHaveLength(1);
  });

  it('an idle ping-pong connection is closed after idleTimeoutMs', async () => {
    await start({ idleTimeoutMs: 200 });
    const p = await peer();
    await p.call(echo('framed', 1, 'ok'));
    await p.waitClosed();
  });

  it('a ttstream frame on a ping-pong connection closes it', async () => {
    await start();
    const p = await peer();
    await p.call(echo('ttheader', 1, 'ok'));
    p.sendBytes(encodeFrame(headerFrame(1, 'Echo')));
    await p.waitClosed();
    expect(p.replies).toHaveLength(1);
  });

  it('oneway: nothing comes back, the handler ran, the next call on the connection works', async () => {
    const f = await start();
    const p = await peer();
    for (const shape of SHAPES) {
      p.send({
        shape,
        name: 'Notify',
        type: ThriftMessageType.Oneway,
        seqId: 1,
        args: reqArgs(`n-${shape}`),
      });
    }
    await waitFor(() => f.notified.length === 4, 'four Notify calls');
    expect(f.notified).toEqual(SHAPES.map((s) => `n-${s}`));
    const reply = await p.call(echo('framed', 2, 'after'));
    expect(p.replies).toHaveLength(1);
    expect(reply.seqId).toBe(2);
  });

  it('int key 12: the handler is aborted at the deadline, the reply leaves a grace later', async () => {
    const f = await start();
    const p = await peer();
    let abortedAt = 0;
    f.onAbort = () => (abortedAt = performance.now());
    const reply = await p.call(echo('ttheader', 3, 'hang', { intHeaders: new Map([[12, '200']]) }));
    const repliedAt = performance.now();
    expect(reply.type).toBe(ThriftMessageType.Exception);
    expect(reply.exception?.message).toContain('context deadline exceeded');
    expect(f.aborted).toHaveLength(1);
    // Timers never fire early: the reply cannot leave before the grace (100 ms) has passed.
    expect(DEADLINE_REPLY_GRACE_MS).toBe(100);
    expect(repliedAt - abortedAt).toBeGreaterThanOrEqual(98);
    expect(f.calls[0]?.timeoutMs).toBe(200);
    expect(p.closed).toBe(false);
    expect((await p.call(echo('ttheader', 4, 'next'))).seqId).toBe(4);
  });

  it('maxCallsPerConnection: 5 pipelined slow calls, never more than 2 at once, replies in order', async () => {
    const f = await start({ maxCallsPerConnection: 2 });
    const p = await peer();
    p.send(...[1, 2, 3, 4, 5].map((seq) => echo('framed', seq, 'sleep:60')));
    const replies = await p.waitReplies(5);
    expect(replies.map((r) => r.seqId)).toEqual([1, 2, 3, 4, 5]);
    expect(f.maxActive).toBe(2);
  });

  it('maxCallsPerConnection bounds oneway handlers too', async () => {
    const f = await start({ maxCallsPerConnection: 2 });
    const p = await peer();
    p.send(
      ...[1, 2, 3, 4, 5].map((seq) => ({
        shape: 'framed' as const,
        name: 'Notify',
        type: ThriftMessageType.Oneway,
        seqId: seq,
        args: reqArgs('sleep:60'),
      })),
    );
    await waitFor(() => f.notified.length === 5, 'five Notify calls');
    expect(f.maxActive).toBe(2);
  });

  it('a client that half-closes after pipelining still gets every reply', async () => {
    await start({ maxCallsPerConnection: 1 });
    const p = await peer();
    p.send(...[1, 2, 3].map((seq) => echo('ttheader', seq, 'sleep:20')));
    p.socket.end();
    const replies = await p.waitReplies(3);
    expect(replies.map((r) => r.seqId)).toEqual([1, 2, 3]);
    await p.waitClosed();
  });

  it('a message over maxFrameBytes closes the connection without a reply', async () => {
    await start({ maxFrameBytes: 1024 });
    const p = await peer();
    await p.call(echo('framed', 1, 'small'));
    p.send(echo('framed', 2, 'x'.repeat(2000)));
    await p.waitClosed();
    expect(p.replies).toHaveLength(1);
  });

  it('mapError and hideErrorMessages apply to unary failures as to streams', async () => {
    await start({
      mapError: (e) =>
        e instanceof Error && e.message === 'test error' ? new BizStatusError(400, 'mapped') : e,
    });
    const p = await peer();
    const mapped = await p.call(withErr('ttheader', 1, 'test error'));
    expect(mapped.strHeaders.get('biz-status')).toBe('400');
    expect(mapped.strHeaders.get('biz-message')).toBe('mapped');
    await fx?.server.close();
    await start({ hideErrorMessages: true });
    const q = await peer();
    const hidden = await q.call(withErr('framed', 2, 'test error'));
    expect(hidden.exception).toEqual({ typeId: 6, message: 'biz error: internal error' });
  });

  it('a slow handler on one connection does not delay another connection', async () => {
    const f = await start();
    const slow = await peer();
    slow.send(echo('ttheader', 1, 'wait'));
    await waitFor(() => f.active === 1, 'the slow call running');
    const other = await peer();
    expect((await other.call(echo('ttheader', 2, 'quick'))).seqId).toBe(2);
    expect(slow.replies).toHaveLength(0);
    f.gate.resolve();
    expect((await slow.waitReplies(1))[0]?.seqId).toBe(1);
  });

  it('stats().calls counts the calls being handled', async () => {
    const f = await start();
    const a = await peer();
    const b = await peer();
    a.send(echo('framed', 1, 'wait'));
    b.send({
      shape: 'buffered',
      name: 'Notify',
      type: ThriftMessageType.Oneway,
      seqId: 1,
      args: reqArgs('wait'),
    });
    await waitFor(() => f.server.stats().calls === 2, 'two calls running');
    expect(f.server.stats().connections).toBe(2);
    f.gate.resolve();
    await waitFor(() => f.server.stats().calls === 0, 'no call running');
    await a.waitReplies(1);
  });

  it('graceful shutdown: an in-flight call finishes, its reply carries crrst, then closed', async () => {
    const f = await start({ gracePeriodMs: 5000 });
    const p = await peer();
    p.send(echo('ttheader', 1, 'wait'));
    await waitFor(() => f.active === 1, 'the call running');
    const closed = f.server.close();
    await sleep(20);
    f.gate.resolve();
    const [reply] = await p.waitReplies(1);
    expect(reply?.result).toEqual({ success: { message: 'wait', index: 1 } });
    expect(reply?.strHeaders.get('crrst')).toBe('1');
    await p.waitClosed();
    await closed;
    fx = undefined;
  });

  it('graceful shutdown: a call still running after the grace period is aborted', async () => {
    const f = await start({ gracePeriodMs: 100 });
    const p = await peer();
    p.send(echo('framed', 1, 'hang'));
    await waitFor(() => f.active === 1, 'the call running');
    await f.server.close();
    await p.waitClosed();
    expect(f.aborted).toHaveLength(1);
    fx = undefined;
  });

  it('serves ttstream on the same port while unary calls run', async () => {
    const f = await start();
    const p = await peer();
    p.send(echo('ttheader', 1, 'wait'));
    await waitFor(() => f.active === 1, 'the unary call running');
    const client = new TTStreamClientTransport(
      { host: '127.0.0.1', port: f.port },
      { poolSize: 1 },
    );
    try {
      const stream = client.openStream(call('EchoClient'));
      for (const m of ['a', 'b']) await stream.send(m);
      await stream.closeSend();
      expect(await collect(stream)).toEqual(['a,b']);
      expect((await p.waitReplies(0)).length).toBe(0);
      f.gate.resolve();
      expect((await p.waitReplies(1))[0]?.seqId).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('a peer that resets during sniffing does not take the server down', async () => {
    const f = await start();
    const socket = connect({ host: '127.0.0.1', port: f.port });
    await new Promise<void>((resolve) => {
      socket.once('connect', () => {
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.write(Buffer.from([0, 0]));
    await sleep(20);
    socket.resetAndDestroy();
    await sleep(50);
    const p = await peer();
    expect((await p.call(echo('framed', 1, 'alive'))).seqId).toBe(1);
  });

  it('close() does not wait for a connection that has sent nothing yet', async () => {
    const f = await start();
    const socket = connect({ host: '127.0.0.1', port: f.port });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      socket.once('connect', () => {
        resolve();
      });
    });
    await waitFor(() => f.server.stats().acceptedConnections === 1, 'the connection accepted');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      f.server.close().then(() => 'closed'),
      new Promise((resolve) => (timer = setTimeout(resolve, 10_000, 'still open'))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('closed');
    socket.destroy();
    fx = undefined;
  });

  it('reply headers set by the handler reach the TTHeader reply only', async () => {
    await start();
    const p = await peer();
    const reply = await p.call(echo('ttheader', 1, 'header'));
    expect(reply.strHeaders.get('x-reply')).toBe('yes');
    const plain = await p.call(echo('framed', 2, 'header'));
    expect(plain.strHeaders.size).toBe(0);
  });
});
