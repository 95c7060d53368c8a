/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   Nest's option types are classes; plain objects are how Nest documents them. */
/**
 * Kitex (Go) client -> our Nest server, unary and oneway methods (EchoUnary, UnaryWithErr,
 * Notify), with the Kitex client in each of its unary transport shapes (fixtures D16): Framed (its
 * default), TTHeader (unframed), TTHeader as Kitex's docs write it (+Framed), TTHeaderFramed and
 * Buffered; plus Kitex's mux client. Every scenario also runs against the Kitex (Go) server, which
 * is the reference: the Kitex server must show the facts recorded in test/fixtures/kitex/README.md
 * (D16-D23), and our server must give the Kitex client a verdict equal to the Kitex server's,
 * field by field (times, the random userId and the server port aside).
 *
 * The Nest sample server (sample/server, in-process on 127.0.0.1:0) serves the plain cases. The
 * slow call of the timeout case (`sleep:<ms>`) and the metainfo echo (`x-metainfo` reply key) are
 * test hooks of the Go server that the sample does not have, so those two run against a small Nest
 * app defined here with the same hooks.
 */
import 'reflect-metadata';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, type MicroserviceOptions, Payload } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadThriftIdl } from '../../lib/idl/index.js';
import { TTStreamServer, type TTStreamContext } from '../../lib/index.js';
import { startEchoServer, type EchoServer } from '../../sample/server/create-echo-server.js';
import { type Request, type Response } from '../../sample/generated/echo.js';
import {
  runKitexClient,
  startKitexServer,
  type ClientFlags,
  type KitexServer,
} from './support/peer.js';
import {
  HOOK_SCENARIOS,
  KITEX_SHAPES,
  PLAIN_SCENARIOS,
  byScenario,
  expectKitexOutcome,
  normalized,
  verdictOf,
  type KitexShape,
  type UnaryVerdict,
} from './support/unary-verdicts.js';

/** The Go server's unary hooks (test/interop/README.md), for the timeout and metainfo cases. */
@Controller()
class UnaryHooksController {
  /**
   * EchoUnary: `{message, index: count}`; `sleep:<ms>` first waits that long (until the call's
   * signal fires); any metainfo comes back as the reply key `x-metainfo`, the JSON of the Go
   * server (`json.Marshal` sorts the keys: persistent first).
   */
  @MessagePattern('TestService.EchoUnary')
  async EchoUnary(@Payload() req: Request, @Ctx() ctx: TTStreamContext): Promise<Response> {
    const { transient, persistent } = ctx.getMetainfo();
    if (Object.keys(transient).length + Object.keys(persistent).length > 0) {
      ctx.setHeader('x-metainfo', JSON.stringify({ persistent, transient }));
    }
    const ms = /^sleep:(\d+)$/.exec(req.message)?.[1];
    if (ms !== undefined) await pause(Math.min(Number(ms), 60_000), ctx.signal);
    return { message: req.message, index: req.count };
  }
}

@Module({ controllers: [UnaryHooksController] })
class UnaryHooksModule {}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

async function startHooksApp(): Promise<{ app: INestMicroservice; address: string }> {
  const server = new TTStreamServer({
    idl: loadThriftIdl('sample/idl/echo.thrift'),
    host: '127.0.0.1',
    port: 0,
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(UnaryHooksModule, {
    strategy: server,
    logger: false,
  });
  await app.listen();
  const bound = server.address();
  if (bound === undefined) throw new Error('hooks app: no address');
  return { app, address: `${bound.address}:${bound.port}` };
}

let kitex: KitexServer;
let sample: EchoServer;
let sampleAddress: string;
let hooks: { app: INestMicroservice; address: string };

beforeAll(async () => {
  kitex = await startKitexServer();
  sample = await startEchoServer({ host: '127.0.0.1', port: 0 }, false);
  sampleAddress = `${sample.host}:${sample.port}`;
  hooks = await startHooksApp();
});

afterAll(async () => {
  await kitex.stop();
  await sample.app.close();
  await hooks.app.close();
});

/** Runs `scenarios` in one Go client process and returns the verdicts by scenario. */
async function run(
  address: string,
  scenarios: readonly string[],
  flags: ClientFlags,
): Promise<Map<string, UnaryVerdict>> {
  const result = await runKitexClient(
    address,
    { 'service-name': 'A', concurrency: 100, count: 3, ...flags, scenario: scenarios.join(',') },
    90_000,
  );
  const verdicts = byScenario(result.verdicts);
  if (verdicts.size !== scenarios.length) {
    throw new Error(
      `client exit ${result.code}: ${verdicts.size} of ${scenarios.length} verdicts; stderr: ${result.stderr}`,
    );
  }
  return verdicts;
}

/** The reference check and the comparison, for one shape and one pair of servers. */
function describeShape(
  title: string,
  flags: ClientFlags,
  shape: KitexShape,
  scenarios: readonly string[],
  ours: () => string,
): void {
  describe(title, () => {
    let reference: Map<string, UnaryVerdict>;
    let actual: Map<string, UnaryVerdict>;
    beforeAll(async () => {
      // one after the other: the timing cases stay clear of CPU contention
      reference = await run(kitex.address, scenarios, flags);
      actual = await run(ours(), scenarios, flags);
    });

    it.each(scenarios)('%s: the Kitex server shows the recorded facts', (scenario) => {
      expectKitexOutcome(verdictOf(reference, scenario), shape);
    });

    it.each(scenarios)('%s: our server gives the Kitex client the same verdict', (scenario) => {
      const ref = verdictOf(reference, scenario);
      const got = verdictOf(actual, scenario);
      expectKitexOutcome(got, shape);
      expect(normalized(got)).toEqual(normalized(ref));
    });
  });
}

describe.each(KITEX_SHAPES)('Kitex client -transport %s -> our server', (shape) => {
  describeShape(
    'the Nest sample server',
    { transport: shape },
    shape,
    PLAIN_SCENARIOS,
    () => sampleAddress,
  );
  describeShape(
    'timeout (rpc timeout 100 ms, sleep:500) and metainfo (a Nest app with the Go server hooks)',
    { transport: shape, 'rpc-timeout': '100ms', sleep: 500, linger: '0s' },
    shape,
    HOOK_SCENARIOS,
    () => hooks.address,
  );
});

describe('Kitex client, 1,000 concurrent calls over its long pool', () => {
  it.each(['default', 'ttheader'] as const)(
    '-transport %s: every reply matches its call (one connection per call in flight, D21)',
    async (shape) => {
      const verdicts = await run(sampleAddress, ['unary_scale'], {
        transport: shape,
        concurrency: 1000,
        // Kitex's default 50 ms dial timeout also fails when the Go client itself waits that long
        // for CPU (seen once in CI: 50 of 1,000). A SYN the server's accept queue dropped (D24,
        // what this guards) is resent after 1 s, so 500 ms still catches that.
        'connect-timeout': '500ms',
      });
      const v = verdictOf(verdicts, 'unary_scale');
      expectKitexOutcome(v, shape);
      expect(v.extra).toMatchObject({ calls: 1000, ok: 1000, failed: 0 });
    },
  );
});

describe('Kitex mux client (WithMuxConnection: TTHeader, many calls per connection) -> our server', () => {
  describeShape(
    'the Nest sample server',
    { transport: 'ttheader', 'unary-pool': 'mux' },
    'ttheader',
    ['unary_echo', 'unary_biz_error', 'unary_declared', 'unary_plain_error', 'unary_notify'],
    () => sampleAddress,
  );

  it('200 concurrent calls on one connection', async () => {
    const verdicts = await run(sampleAddress, ['unary_scale'], {
      transport: 'ttheader',
      'unary-pool': 'mux',
      concurrency: 200,
    });
    expect(verdictOf(verdicts, 'unary_scale').extra).toMatchObject({ ok: 200, failed: 0 });
  });
});
