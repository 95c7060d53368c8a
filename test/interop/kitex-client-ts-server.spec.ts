/**
 * Kitex (Go) client -> our server (TestService on our transport and codecs).
 * The Go client runs a named scenario and prints a verdict (test/interop/README.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TTStreamErrorCode } from '../../lib/errors/index.js';
import {
  runKitexClient,
  runScenario,
  startTap,
  type Tap,
  type TapRecord,
  type Verdict,
} from './support/peer.js';
import { startOurServer, type OurServer } from './support/our-side.js';
import { errorParts, type StreamEnd } from './support/test-service.js';

const CANCEL_TEXT =
  'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively';

let ours: OurServer;

beforeAll(async () => {
  ours = await startOurServer();
});

afterAll(async () => {
  await ours.close();
});

function expectOk(v: Verdict): void {
  expect({ scenario: v.scenario, problems: v.problems, error: v.error?.text ?? null }).toEqual({
    scenario: v.scenario,
    problems: [],
    error: v.error?.text ?? null,
  });
  expect(v.ok).toBe(true);
}

/** The canceled error our handler saw: 12010 carrying the Kitex client's code and path. */
function expectUpstreamCancel(end: StreamEnd, code: number, detail: string): void {
  const seen = errorParts(end.observed ?? end.signalReason);
  expect(seen).toEqual({
    kind: TTStreamErrorCode.CanceledByUpstream,
    code,
    path: ['A'],
    message: `[ttstream error, code=${code}] [server-side stream] [canceled path: A] ${detail}`,
  });
}

describe('Kitex client -> our server: success path', () => {
  it.each([
    ['echo_bidi', { count: 5 }],
    ['echo_bidi_empty', {}],
    ['echo_client', { count: 4 }],
    ['echo_server', { count: 6 }],
    ['echo_server', { count: 3, interval: 20 }],
  ] as const)('%s %j: exact messages, order, x-handler, x-sent', async (scenario, flags) => {
    const v = await runScenario(ours.address, scenario, flags);
    expectOk(v);
    expect(v.header?.['x-handler']).toBe(`TestService.${v.method}`);
    const n = 'count' in flags ? flags.count : 0;
    if (scenario === 'echo_client') {
      expect(v.received).toEqual([
        { message: ['hello-0', 'hello-1', 'hello-2', 'hello-3'].join(','), index: 4 },
      ]);
      expect(v.trailer?.['x-sent']).toBe('1');
    } else {
      const message = (i: number): string => (scenario === 'echo_server' ? 'hello' : `hello-${i}`);
      expect(v.received).toEqual(
        Array.from({ length: n }, (_, i) => ({ message: message(i), index: i })),
      );
      expect(v.trailer?.['x-sent']).toBe(String(n));
    }
    expect(v.error).toBeNull();
  });
});

describe('Kitex client -> our server: errors', () => {
  let tap: Tap;
  beforeAll(async () => {
    tap = await startTap(ours.address);
  });
  afterAll(async () => {
    await tap.stop();
  });

  function framesOf(conn: number): TapRecord[] {
    return tap.frames().filter((f) => f.conn === conn);
  }

  it.each([0, 100])(
    'business error after count=3 (recv-delay %i ms): 3 DATA on the wire, then BizStatusError 10001 (D1: the Kitex client may drop DATA)',
    async (recvDelay) => {
      const before = new Set(tap.records().map((r) => r.conn));
      const v = await runScenario(tap.address, 'server_stream_biz_error', {
        count: 3,
        'recv-delay': `${recvDelay}ms`,
      });
      expectOk(v);
      expect(v.error?.go_type).toBe('*kerrors.BizStatusError');
      expect(v.error?.text).toBe('biz error: code=10001, msg=insufficient user balance');
      expect(v.error?.biz).toEqual({
        code: 10001,
        message: 'insufficient user balance',
        extra: { testKey: 'testVal' },
      });
      expect(v.header?.['x-handler']).toBe('TestService.ServerStreamWithErr');
      expect(v.trailer?.['x-sent']).toBe('3');
      // The Kitex client's messages are a correct prefix (D1) ...
      const want = [0, 1, 2].map((i) => ({ message: `token-${i}`, index: i }));
      expect(want.slice(0, v.received.length)).toEqual(v.received);
      // ... and the wire has exactly 3 DATA before the biz-error TRAILER.
      const conn = tap
        .records()
        .map((r) => r.conn)
        .find((c) => !before.has(c));
      expect(conn).toBeDefined();
      const s2c = framesOf(conn ?? -1).filter((f) => f.dir === 's2c');
      expect(s2c.map((f) => f.type_name)).toEqual(['HEADER', 'DATA', 'DATA', 'DATA', 'TRAILER']);
      expect(s2c[4]?.str).toMatchObject({
        'biz-status': '10001',
        'biz-message': 'insufficient user balance',
        'biz-extra': '{"testKey":"testVal"}',
        'x-sent': '3',
      });
    },
  );

  it('plain error: the exact Kitex text, no data', async () => {
    const v = await runScenario(ours.address, 'server_stream_plain_error');
    expectOk(v);
    expect(v.received).toEqual([]);
    expect(v.error?.text).toBe(
      '[ttstream error, code=12001] [client-side stream] biz error: test error',
    );
    expect(v.error?.code).toBe(12001);
    expect(v.header?.['x-handler']).toBe('TestService.ServerStreamWithErr');
  });
});

describe('Kitex client (service name A) -> our server: client cancel', () => {
  it.each([
    ['cancel_bidi_before_first', 'Echo'],
    ['cancel_bidi_mid_stream', 'Echo'],
    ['cancel_client_before_first', 'EchoClient'],
    ['cancel_client_mid_stream', 'EchoClient'],
    ['cancel_client_close_and_recv', 'EchoClient'],
    ['cancel_server_before_first', 'EchoServer'],
    ['cancel_server_mid_stream', 'EchoServer'],
  ] as const)(
    '%s: our handler sees 12010 / code 12007 / [canceled path: A]',
    async (scenario, method) => {
      const from = ours.log.ends.length;
      const v = await runScenario(ours.address, scenario, {});
      expectOk(v);
      expect(v.error?.code).toBe(12007);
      expect(v.error?.text).toBe(
        `[ttstream error, code=12007] [client-side stream] ${CANCEL_TEXT}`,
      );
      const end = await ours.log.waitForEnd((e) => e.method === method, 5000, from);
      expectUpstreamCancel(end, 12007, CANCEL_TEXT);
    },
  );

  it('a Kitex client without a service name: no [canceled path: ] segment', async () => {
    const from = ours.log.ends.length;
    const v = await runScenario(ours.address, 'cancel_bidi_mid_stream', { 'service-name': '' });
    expectOk(v);
    const end = await ours.log.waitForEnd((e) => e.method === 'Echo', 5000, from);
    const seen = errorParts(end.observed);
    expect(seen).toEqual({
      kind: TTStreamErrorCode.CanceledByUpstream,
      code: 12007,
      message: `[ttstream error, code=12007] [server-side stream] ${CANCEL_TEXT}`,
    });
  });

  it('cancel with nobody in Recv: noticed within Kitex 5 s cleanup tick', async () => {
    const from = ours.log.ends.length;
    const v = await runScenario(ours.address, 'cancel_bidi_no_recv', { linger: '6s' });
    expectOk(v);
    const end = await ours.log.waitForEnd((e) => e.method === 'Echo', 1000, from);
    expectUpstreamCancel(end, 12007, CANCEL_TEXT);
    expect(end.tMs - (v.cancel_unix_ms ?? 0)).toBeLessThanOrEqual(5500);
  });
});

describe('Kitex client -> our server: timeouts, metainfo, headers', () => {
  it('Recv timeout (200 ms) on the Kitex client: 12014; our handler sees 12010 carrying 12014', async () => {
    const from = ours.log.ends.length;
    const v = await runScenario(ours.address, 'recv_timeout', { 'recv-timeout': '200ms' });
    expectOk(v);
    expect(v.error?.code).toBe(12014);
    const detail = 'stream Recv timeout, timeout config={Timeout:200ms DisableCancelRemote:false}';
    expect(v.error?.text).toBe(`[ttstream error, code=12014] [client-side stream] ${detail}`);
    const end = await ours.log.waitForEnd((e) => e.method === 'EchoServer', 5000, from);
    expectUpstreamCancel(end, 12014, detail);
  });

  it('Recv timeout with DisableCancelRemote: the retried Recv gets both messages', async () => {
    const v = await runScenario(ours.address, 'recv_timeout', {
      'recv-timeout': '200ms',
      'disable-cancel-remote': true,
      interval: 300,
    });
    expectOk(v);
    expect(v.received).toEqual([
      { message: 'hello', index: 0 },
      { message: 'hello', index: 1 },
    ]);
  });

  it('deadline (300 ms): Kitex client 12015; our handler sees 12010 carrying 12015', async () => {
    const from = ours.log.ends.length;
    const v = await runScenario(ours.address, 'deadline', { timeout: '300ms' });
    expectOk(v);
    expect(v.error?.code).toBe(12015);
    const end = await ours.log.waitForEnd((e) => e.method === 'EchoServer', 5000, from);
    const seen = errorParts(end.observed ?? end.signalReason);
    expect(seen.code).toBe(12015);
    expect(seen.message).toMatch(/stream timeout, timeout in ctx: [0-9.]+(ns|µs|ms|s)$/);
  });

  it('metainfo RPC_TRANSIT_/RPC_PERSIST_: our handler receives k2=v2 / k1=v1', async () => {
    const from = ours.log.ends.length;
    const v = await runScenario(ours.address, 'metainfo');
    expectOk(v);
    expect(JSON.parse(v.header?.['x-metainfo'] ?? 'null')).toEqual({
      transient: { k2: 'v2' },
      persistent: { k1: 'v1' },
    });
    const end = await ours.log.waitForEnd((e) => e.method === 'Echo', 5000, from);
    expect({ ...end.metainfo.transient }).toEqual({ k2: 'v2' });
    expect({ ...end.metainfo.persistent }).toEqual({ k1: 'v1' });
  });

  it('custom header and trailer keys both ways', async () => {
    const v = await runScenario(ours.address, 'custom_headers');
    expectOk(v);
    expect(v.header?.['x-echo-initial']).toBe('test_initial_metadata_value');
    expect(v.trailer?.['x-echo-trailing']).toBe('a,b:c=d ☺😈');
  });
});

describe('Kitex client -> our server: routing', () => {
  // Kitex itself stays silent here (fixtures README D11) and its client ends at its deadline;
  // we answer at once with an exception trailer. Either way nothing may hang.
  it.each(['unknown_method', 'unknown_service'])(
    "%s: the Kitex client's stream ends within its 1 s deadline",
    async (scenario) => {
      const v = await runScenario(ours.address, scenario, { timeout: '1s' });
      expect(v.error).not.toBeNull();
      expect([12001, 12015]).toContain(v.error?.code);
      expect(v.error?.at_ms ?? Infinity).toBeLessThan(1500);
    },
  );

  it('unknown_service_known_method: served like Kitex (routes by method)', async () => {
    const v = await runScenario(ours.address, 'unknown_service_known_method', { timeout: '2s' });
    expect(v.error).toBeNull();
    expect(v.received).toEqual([{ message: 'hello', index: 0 }]);
  });
});

describe('Kitex client -> our server: pools and scale', () => {
  it.each(['long', 'short'] as const)('pool %s: every echo scenario passes', async (pool) => {
    const tap = await startTap(ours.address);
    try {
      const scenarios = [
        'echo_bidi',
        'echo_bidi_empty',
        'echo_client',
        'echo_server',
        'server_stream_biz_error',
        'server_stream_plain_error',
        'metainfo',
        'custom_headers',
      ];
      const run = await runKitexClient(tap.address, {
        'service-name': 'A',
        pool,
        scenario: scenarios.join(','),
      });
      expect(run.verdicts.map((v) => [v.scenario, v.problems])).toEqual(
        scenarios.map((s) => [s, []]),
      );
      expect(run.code).toBe(0);
      const opens = tap.records().filter((r) => r.event === 'open').length;
      // Long pool: connections are reused. A Kitex long-pool client sometimes opens a second one
      // after an exception trailer (same against the Kitex server: 1 or 2 in 15 runs each).
      if (pool === 'long') expect(opens).toBeLessThanOrEqual(2);
      else expect(opens).toBe(scenarios.length);
    } finally {
      await tap.stop();
    }
  });

  it('1000 concurrent bidi streams x 10 rounds over one connection (mux PoolSize 1)', async () => {
    const before = ours.server.stats().connections;
    ours.log.peakConnections = 0;
    const v = await runScenario(
      ours.address,
      'scale_bidi',
      { concurrency: 1000, count: 10, guard: '60s' },
      90_000,
    );
    expectOk(v);
    expect(v.extra).toMatchObject({ ok: 1000, failed: 0 });
    // The only connection the Go client opened: at most one more than before.
    expect(ours.log.peakConnections).toBeLessThanOrEqual(before + 1);
  });
});
