/**
 * Kitex (Go) client -> the Nest sample server (sample/server, TTStreamServer + EchoController),
 * started in-process on 127.0.0.1:0 as `npm run sample:server` starts it. The sample has no test
 * hooks (x-metainfo, x-echo-*, interval-ms, event log): only what a plain client can see is checked
 * (so no server-streaming cancel: without interval-ms the stream ends before the client cancels).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEchoServer, type EchoServer } from '../../sample/server/create-echo-server.js';
import { runKitexClient, runScenario, startTap, type Tap, type Verdict } from './support/peer.js';

let sample: EchoServer;
let address: string;

beforeAll(async () => {
  sample = await startEchoServer({ host: '127.0.0.1', port: 0 }, false);
  address = `${sample.host}:${sample.port}`;
});

afterAll(async () => {
  await sample.app.close();
});

function expectOk(v: Verdict): void {
  expect({ scenario: v.scenario, problems: v.problems }).toEqual({
    scenario: v.scenario,
    problems: [],
  });
}

describe('Kitex client -> Nest sample server', () => {
  it.each([
    ['echo_bidi', 5],
    ['echo_bidi_empty', 0],
    ['echo_client', 4],
    ['echo_server', 6],
  ] as const)(
    '%s (count %i): exact messages, order, x-handler, x-sent',
    async (scenario, count) => {
      const v = await runScenario(address, scenario, { count });
      expectOk(v);
      expect(v.error).toBeNull();
      expect(v.header?.['x-handler']).toBe(`TestService.${v.method}`);
      if (scenario === 'echo_client') {
        expect(v.received).toEqual([{ message: 'hello-0,hello-1,hello-2,hello-3', index: 4 }]);
        expect(v.trailer?.['x-sent']).toBe('1');
      } else {
        const message = (i: number): string =>
          scenario === 'echo_server' ? 'hello' : `hello-${i}`;
        expect(v.received).toEqual(
          Array.from({ length: count }, (_, i) => ({ message: message(i), index: i })),
        );
        expect(v.trailer?.['x-sent']).toBe(String(count));
      }
    },
  );

  describe('errors (through the tap)', () => {
    let tap: Tap;
    beforeAll(async () => {
      tap = await startTap(address);
    });
    afterAll(async () => {
      await tap.stop();
    });

    it('business error after count=3: 3 DATA then the biz trailer on the wire; Kitex sees 10001', async () => {
      const before = new Set(tap.records().map((r) => r.conn));
      const v = await runScenario(tap.address, 'server_stream_biz_error', {
        count: 3,
        'recv-delay': '100ms',
      });
      expectOk(v);
      expect(v.error?.biz).toEqual({
        code: 10001,
        message: 'insufficient user balance',
        extra: { testKey: 'testVal' },
      });
      expect(v.trailer?.['x-sent']).toBe('3');
      const s2c = tap
        .frames()
        .filter((f) => !before.has(f.conn) && f.dir === 's2c')
        .map((f) => f.type_name);
      expect(s2c).toEqual(['HEADER', 'DATA', 'DATA', 'DATA', 'TRAILER']);
    });

    it('plain error: the exact Kitex text', async () => {
      const v = await runScenario(tap.address, 'server_stream_plain_error');
      expectOk(v);
      expect(v.error?.text).toBe(
        '[ttstream error, code=12001] [client-side stream] biz error: test error',
      );
    });
  });

  it.each([
    'cancel_bidi_before_first',
    'cancel_bidi_mid_stream',
    'cancel_client_before_first',
    'cancel_client_mid_stream',
  ])('%s: the Kitex client gets 12007 and the server keeps serving', async (scenario) => {
    const v = await runScenario(address, scenario);
    expectOk(v);
    expect(v.error?.code).toBe(12007);
    const after = await runScenario(address, 'echo_bidi', { count: 2 });
    expectOk(after);
  });

  it.each(['long', 'short'])('pool %s: echo scenarios pass', async (pool) => {
    const scenarios = ['echo_bidi', 'echo_client', 'echo_server', 'server_stream_plain_error'];
    const run = await runKitexClient(address, { pool, scenario: scenarios.join(',') });
    expect(run.verdicts.map((v) => [v.scenario, v.problems])).toEqual(
      scenarios.map((s) => [s, []]),
    );
  });

  it('1000 concurrent bidi streams x 10 rounds over one connection', async () => {
    const v = await runScenario(address, 'scale_bidi', { concurrency: 1000, count: 10 }, 90_000);
    expectOk(v);
    expect(v.extra).toMatchObject({ ok: 1000, failed: 0 });
  });
});
