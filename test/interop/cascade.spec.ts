/**
 * Cascading cancel across three hops: A (Kitex client, service name `A`) -> B (our server, whose
 * Echo handler relays to C with our client, service name `B`) -> C (Kitex server).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TTStreamErrorCode } from '../../lib/errors/index.js';
import type { TTStreamClientTransport } from '../../lib/transport/client-transport.js';
import { runScenario, startKitexServer, type KitexServer } from './support/peer.js';
import { ourClient, startOurServer, type OurServer } from './support/our-side.js';
import { errorParts } from './support/test-service.js';

const CANCEL_TEXT =
  'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively';

let c: KitexServer;
let toC: TTStreamClientTransport;
let b: OurServer;

beforeAll(async () => {
  c = await startKitexServer();
  toC = ourClient(c.address, { serviceName: 'B' });
  b = await startOurServer({ forwardTo: toC });
});

afterAll(async () => {
  await b.close();
  await toC.close();
  await c.stop();
});

describe('A (Kitex) -> B (ours) -> C (Kitex)', () => {
  it('relays a normal bidi call end to end', async () => {
    const v = await runScenario(b.address, 'echo_bidi', { count: 3 });
    expect(v.problems).toEqual([]);
    expect(v.received).toEqual([0, 1, 2].map((i) => ({ message: `hello-${i}`, index: i })));
  });

  it.each(['cancel_bidi_before_first', 'cancel_bidi_mid_stream'])(
    '%s at A: B sees [canceled path: A], C sees [canceled path: A -> B] with code 12007',
    async (scenario) => {
      const fromC = c.events.length;
      const t0 = Date.now();
      const fromB = b.log.ends.length;
      const v = await runScenario(b.address, scenario);
      expect(v.problems).toEqual([]);
      expect(v.error?.code).toBe(12007);
      const atB = await b.log.waitForEnd((e) => e.method === 'Echo', 5000, fromB);
      expect(errorParts(atB.observed)).toEqual({
        kind: TTStreamErrorCode.CanceledByUpstream,
        code: 12007,
        path: ['A'],
        message: `[ttstream error, code=12007] [server-side stream] [canceled path: A] ${CANCEL_TEXT}`,
      });
      // B's own downstream stream fails with the inherited path (as Kitex's does, D3).
      expect(errorParts(atB.downstream)).toMatchObject({
        code: 12007,
        message: `[ttstream error, code=12007] [client-side stream] [canceled path: A] ${CANCEL_TEXT}`,
      });
      const atC = await c.waitForEvent(
        (e) => e.event === 'stream_end' && e.method === 'Echo' && e.t_ms >= t0,
        5000,
        fromC,
      );
      expect(atC.canceled).toBe(true);
      expect(atC.ctx_err_code).toBe(12007);
      expect(atC.ctx_err).toBe(
        `[ttstream error, code=12007] [server-side stream] [canceled path: A -> B] ${CANCEL_TEXT}`,
      );
    },
  );

  it("B's handler returning early (downstream still open): C sees 12012", async () => {
    const fromC = c.events.length;
    const t0 = Date.now();
    const v = await runScenario(b.address, 'echo_bidi', { count: 1, message: 'return-early' });
    expect(v.problems).toEqual([]);
    expect(v.received).toEqual([{ message: 'return-early-0', index: 0 }]);
    const atC = await c.waitForEvent(
      (e) => e.event === 'stream_end' && e.method === 'Echo' && e.t_ms >= t0,
      5000,
      fromC,
    );
    expect(atC.canceled).toBe(true);
    expect(atC.ctx_err_code).toBe(12012);
    expect(atC.ctx_err).toBe(
      '[ttstream error, code=12012] [server-side stream] [canceled path: B] canceled by business handler returning',
    );
  });
});
