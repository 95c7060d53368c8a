/**
 * Our Nest client (`TTStreamClient.send` / `emit`) -> the Kitex (Go) TestService server, unary and
 * oneway methods, in each framing our client offers (`pingPongOptions.shape`): TTHeader (our
 * default), Framed (Kitex's default), TTHeader+Framed and Buffered. The outcomes are the ones a
 * Kitex client gets from the same server (test/fixtures/kitex/README.md D16-D24;
 * kitex-client-unary.spec.ts checks the Kitex client side), and the Kitex handler's view of each
 * call comes from the Go server's `unary_end` event log (test/interop/README.md).
 *
 * Also: our client against a Kitex server started with `WithMuxTransport` (TTHeader only, D20).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom, type Observable, timeout as rxTimeout, toArray } from 'rxjs';
import {
  ApplicationException,
  BizStatusError,
  RpcCallError,
  RpcCallErrorKind,
  ThriftException,
  TTStreamClient,
  type TTStreamCallOptions,
} from '../../lib/index.js';
import {
  ECHO_EXCEPTIONS,
  EchoException,
  type Request,
  type Response,
} from '../../sample/generated/echo.js';
import { startKitexServer, type KitexServer, type KitexServerEvent } from './support/peer.js';
import { BIZ_ERROR, KITEX_TEXTS } from './support/unary-verdicts.js';

/** Our client's ping-pong framings. */
const OUR_SHAPES = ['ttheader', 'framed', 'ttheader-framed', 'buffered'] as const;
type OurShape = (typeof OUR_SHAPES)[number];

/** What the Kitex server's RPCInfo reports for each shape. */
const KITEX_SEES: Record<OurShape, string> = {
  ttheader: 'TTHeader',
  framed: 'Framed',
  'ttheader-framed': 'TTHeader|Framed',
  buffered: 'PurePayload',
};

const isTTHeader = (shape: OurShape): boolean => shape.startsWith('ttheader');

/** A unary call's event on the Go server (`unary_end`). */
interface UnaryEnd extends KitexServerEvent {
  readonly message?: string;
  readonly user_id?: number;
  readonly count?: number;
  readonly metainfo?: string;
  readonly transport?: string;
  readonly rpc_timeout_ms?: number;
  readonly from_service?: string;
}

const WAIT_MS = 10_000;

let kitex: KitexServer;
const clients: TTStreamClient[] = [];

beforeAll(async () => {
  kitex = await startKitexServer();
});

afterAll(async () => {
  try {
    await Promise.all(clients.map((c) => c.close()));
  } finally {
    await (kitex as KitexServer | undefined)?.stop();
  }
});

function newClient(port: number, shape: OurShape, withClasses = true): TTStreamClient {
  const client = new TTStreamClient({
    idl: 'sample/idl/echo.thrift',
    host: '127.0.0.1',
    port,
    serviceName: 'A',
    pingPongOptions: { shape },
    ...(withClasses ? { exceptionClasses: ECHO_EXCEPTIONS } : {}),
    logger: false,
  });
  clients.push(client);
  return client;
}

function req(message: string, count = 0, userId = 0n): Request {
  return { message, userId, count };
}

/** Every value the call emitted, or its error (bounded by `WAIT_MS`). */
async function outcome<T>(call$: Observable<T>): Promise<{ values: T[]; error: unknown }> {
  try {
    const values = await lastValueFrom(call$.pipe(toArray(), rxTimeout(WAIT_MS)));
    return { values, error: undefined };
  } catch (error) {
    return { values: [], error };
  }
}

/** A userId no other test uses (the Go server keeps Notify records per userId). */
let nextUser = BigInt(Date.now()) * 1000n;
function freshUser(): bigint {
  nextUser += 1n;
  return nextUser;
}

/** The `unary_end` event of the call whose request message was `message`, from index `from`. */
function unaryEnd(message: string, from: number): Promise<UnaryEnd> {
  return kitex.waitForEvent(
    (e) => e.event === 'unary_end' && (e as UnaryEnd).message === message,
    WAIT_MS,
    from,
  );
}

describe.each(OUR_SHAPES)('our client (shape %s) -> Kitex server', (shape) => {
  let client: TTStreamClient;
  const tt = isTTHeader(shape);
  beforeAll(() => {
    client = newClient(kitex.port, shape);
  });

  it('EchoUnary: the value; the Kitex handler got the request in this shape', async () => {
    const from = kitex.events.length;
    const message = `hello-${shape}`;
    const got = await outcome(client.send<Response>('TestService.EchoUnary', req(message, 3, 7n)));
    expect(got).toEqual({ values: [{ message, index: 3 }], error: undefined });
    const end = await unaryEnd(message, from);
    expect(end).toMatchObject({
      method: 'EchoUnary',
      user_id: 7,
      count: 3,
      err: '',
      transport: KITEX_SEES[shape],
      // int key 3 (FromService) travels in TTHeader only
      from_service: tt ? 'A' : '',
    });
  });

  it('UnaryWithErr count 3: {ok, 3}', async () => {
    const got = await outcome(client.send<Response>('TestService.UnaryWithErr', req('x', 3)));
    expect(got).toEqual({ values: [{ message: 'ok', index: 3 }], error: undefined });
  });

  it(
    tt
      ? 'business error: BizStatusError 10001 with its extra (the biz-* keys)'
      : 'business error: lost as for a Kitex client (D17): one undefined value, no error',
    async () => {
      const got = await outcome(client.send<Response>('TestService.UnaryWithErr', req('x', 0)));
      if (tt) {
        expect(got.values).toEqual([]);
        expect(got.error).toBeInstanceOf(BizStatusError);
        const biz = got.error as BizStatusError;
        expect({
          code: biz.bizStatusCode,
          message: biz.bizMessage,
          extra: biz.bizExtra,
        }).toEqual(BIZ_ERROR);
        expect(biz.message).toBe(KITEX_TEXTS.biz);
      } else {
        expect(got).toEqual({ values: [undefined], error: undefined });
      }
    },
  );

  it('declared exception: an EchoException {42, declared failure}', async () => {
    const got = await outcome(
      client.send<Response>('TestService.UnaryWithErr', req('declared', 1)),
    );
    expect(got.error).toBeInstanceOf(EchoException);
    const ex = got.error as EchoException;
    expect({ code: ex.code, message: ex.message, thriftName: ex.thriftName }).toEqual({
      code: 42,
      message: 'declared failure',
      thriftName: 'EchoException',
    });
  });

  it('declared exception without the generated classes: a ThriftException naming it', async () => {
    const bare = newClient(kitex.port, shape, false);
    const got = await outcome(bare.send<Response>('TestService.UnaryWithErr', req('declared', 1)));
    expect(got.error).toBeInstanceOf(ThriftException);
    expect(got.error).not.toBeInstanceOf(EchoException);
    expect(got.error).toMatchObject({ thriftName: 'EchoException', code: 42 });
  });

  it('plain error: ApplicationException 6, the Kitex client text', async () => {
    const got = await outcome(
      client.send<Response>('TestService.UnaryWithErr', req('test error', 1)),
    );
    expect(got.error).toBeInstanceOf(ApplicationException);
    const ex = got.error as ApplicationException;
    expect({ typeId: ex.typeId, text: ex.applicationMessage, message: ex.message }).toEqual({
      typeId: 6,
      text: 'biz error: test error',
      message: KITEX_TEXTS.plain,
    });
  });

  it('Notify (emit) twice, then EchoUnary last-notify: {notify-2, 2}', async () => {
    const user = freshUser();
    let last: Response | undefined;
    // Oneway calls may be overtaken (D23): the second goes once the first was counted; each
    // poll is bounded.
    for (const [i, message] of ['notify-1', 'notify-2'].entries()) {
      const sent = await outcome(client.emit('TestService.Notify', req(message, 0, user)));
      expect(sent).toEqual({ values: [undefined], error: undefined });
      for (let tries = 0; tries < 300; tries++) {
        last = await lastValueFrom(
          client.send<Response>('TestService.EchoUnary', req('last-notify', 0, user)),
        );
        if (last.index >= i + 1) break;
        await new Promise((done) => setTimeout(done, 10));
      }
    }
    expect(last).toEqual({ message: 'notify-2', index: 2 });
    const other = await lastValueFrom(
      client.send<Response>('TestService.EchoUnary', req('last-notify', 0, freshUser())),
    );
    expect(other).toEqual({ message: '', index: 0 });
  });

  it('timeout 100 ms on a 500 ms call: rpc timeout (Kitex text); the next call works', async () => {
    const from = kitex.events.length;
    const message = `sleep:500`;
    const started = Date.now();
    const got = await outcome(
      client.send<Response>('TestService.EchoUnary', req(message, 1), { timeoutMs: 100 }),
    );
    expect(Date.now() - started).toBeLessThan(450);
    expect(got.error).toBeInstanceOf(RpcCallError);
    const err = got.error as RpcCallError;
    expect(err.kind).toBe(RpcCallErrorKind.RPCTimeout);
    expect(err.isTimeout).toBe(true);
    // Kitex: `rpc timeout: timeout=100ms, to=<dest service>, method=EchoUnary,
    // location=kitex.rpcTimeoutMW, remote=<addr>` (D18); our dest service is the IDL name
    expect(err.message).toMatch(
      /^rpc timeout: timeout=100ms, to=TestService, method=EchoUnary(, location=kitex\.rpcTimeoutMW)?, remote=127\.0\.0\.1:\d+$/,
    );
    const after = await outcome(
      client.send<Response>('TestService.EchoUnary', req(`after-timeout-${shape}`, 2)),
    );
    expect(after).toEqual({
      values: [{ message: `after-timeout-${shape}`, index: 2 }],
      error: undefined,
    });
    // int key 12 reaches the Kitex handler in TTHeader only (D19)
    const end = await unaryEnd(message, from);
    expect(end.rpc_timeout_ms).toBe(tt ? 100 : 0);
  });

  it(
    tt
      ? 'metainfo both ways: the handler got it; the x-metainfo reply key came back'
      : 'metainfo: none travels over Framed/Buffered (as for a Kitex client)',
    async () => {
      const from = kitex.events.length;
      const message = `metainfo-${shape}`;
      const headers: Record<string, string>[] = [];
      const options: TTStreamCallOptions = {
        metainfo: { transient: { k2: 'v2' }, persistent: { k1: 'v1' } },
        onHeader: (h) => headers.push({ ...h }),
      };
      const got = await outcome(
        client.send<Response>('TestService.EchoUnary', req(message, 1), options),
      );
      expect(got).toEqual({ values: [{ message, index: 1 }], error: undefined });
      const end = await unaryEnd(message, from);
      if (tt) {
        expect(JSON.parse(end.metainfo ?? 'null')).toEqual({
          persistent: { k1: 'v1' },
          transient: { k2: 'v2' },
        });
        expect(headers).toHaveLength(1);
        expect(JSON.parse(headers[0]?.['x-metainfo'] ?? 'null')).toEqual({
          persistent: { k1: 'v1' },
          transient: { k2: 'v2' },
        });
      } else {
        expect(end.metainfo).toBeUndefined();
        expect(headers.flatMap((h) => Object.keys(h))).toEqual([]);
      }
    },
  );

  it('1,000 concurrent calls: every reply matches its call', async () => {
    const calls = Array.from({ length: 1000 }, (_, i) =>
      lastValueFrom(client.send<Response>('TestService.EchoUnary', req(`u${i}`, i))),
    );
    const replies = await Promise.all(calls);
    expect(replies).toEqual(
      Array.from({ length: 1000 }, (_, i) => ({ message: `u${i}`, index: i })),
    );
  }, 60_000);

  it('mixed load: 50 unary callers and 50 bidi streams at once, each with its own data', async () => {
    const unary = Array.from({ length: 50 }, async (_, w) => {
      const got: Response[] = [];
      for (let i = 0; i < 3; i++) {
        got.push(
          await lastValueFrom(
            client.send<Response>('TestService.EchoUnary', req(`w${w}-u${i}`, i)),
          ),
        );
      }
      return got;
    });
    const streams = Array.from({ length: 50 }, (_, w) =>
      lastValueFrom(
        client
          .bidiStream<Request, Response>(
            'TestService.Echo',
            [0, 1, 2].map((i) => req(`w${w}-s${i}`)),
          )
          .pipe(toArray(), rxTimeout(WAIT_MS)),
      ),
    );
    const [u, s] = await Promise.all([Promise.all(unary), Promise.all(streams)]);
    expect(u).toEqual(
      Array.from({ length: 50 }, (_, w) =>
        [0, 1, 2].map((i) => ({ message: `w${w}-u${i}`, index: i })),
      ),
    );
    expect(s).toEqual(
      Array.from({ length: 50 }, (_, w) =>
        [0, 1, 2].map((i) => ({ message: `w${w}-s${i}`, index: i })),
      ),
    );
  }, 60_000);
});

describe('our client (TTHeader) -> a Kitex server with WithMuxTransport (D20)', () => {
  let mux: KitexServer;
  let client: TTStreamClient;
  beforeAll(async () => {
    mux = await startKitexServer(['-mux']);
    client = newClient(mux.port, 'ttheader');
  });
  afterAll(async () => {
    await mux.stop();
  });

  it('EchoUnary, the business error and a declared exception', async () => {
    expect(await outcome(client.send<Response>('TestService.EchoUnary', req('hello', 3)))).toEqual({
      values: [{ message: 'hello', index: 3 }],
      error: undefined,
    });
    const biz = await outcome(client.send<Response>('TestService.UnaryWithErr', req('x', 0)));
    expect(biz.error).toBeInstanceOf(BizStatusError);
    const declared = await outcome(
      client.send<Response>('TestService.UnaryWithErr', req('declared', 1)),
    );
    expect(declared.error).toBeInstanceOf(EchoException);
  });

  it('200 concurrent calls', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        lastValueFrom(client.send<Response>('TestService.EchoUnary', req(`m${i}`, i))),
      ),
    );
    expect(replies).toEqual(
      Array.from({ length: 200 }, (_, i) => ({ message: `m${i}`, index: i })),
    );
  });
});
