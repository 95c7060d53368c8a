import { describe, expect, it } from '@jest/globals';
import type { Attributes } from '@opentelemetry/api';
import { type ServerRpcStart } from '../../../lib/telemetry/rpc-lifecycle.js';
import { RpcSeriesTable } from '../../../lib/telemetry/otel/rpc-series.js';

function start(method: string, overrides: Partial<ServerRpcStart> = {}): ServerRpcStart {
  return {
    side: 'server',
    service: 'TestService',
    method,
    kind: 'server',
    peer: '127.0.0.1:1',
    timeoutMs: undefined,
    idlPackage: undefined,
    localService: undefined,
    headers: {},
    ...overrides,
  };
}

/** A table whose series attributes name the method, counting how often it built one. */
function table(limit?: number) {
  let built = 0;
  const made = new RpcSeriesTable((event) => {
    built++;
    return { old: { 'rpc.method': event.method }, stable: undefined };
  }, limit);
  return { made, built: () => built };
}

function reported(t: RpcSeriesTable): [number, Attributes][] {
  const out: [number, Attributes][] = [];
  t.report((value, attributes) => out.push([value, attributes]));
  return out;
}

describe('RpcSeriesTable', () => {
  it("drops a full table's never-reported idle series at once (no reader saw them)", () => {
    const { made } = table(1);
    made.of(start('A'), '');
    expect(made.of(start('B'), '').common).toEqual({ 'rpc.method': 'B' });
    expect(made.size).toBe(1);
  });

  it('builds the attributes of a series once and hands back the same series', () => {
    const { made, built } = table();
    const a = made.of(start('Echo'), '');
    const b = made.of(start('Echo', { peer: '127.0.0.1:2' }), '');
    expect(b).toBe(a);
    expect(built()).toBe(1);
    expect(made.of(start('Echo'), 'peer.service=a\u0000')).not.toBe(a);
    expect(made.of(start('Echo', { kind: 'bidirectional' }), '')).not.toBe(a);
    expect(made.of(start('Echo', { localService: 'other' }), '')).not.toBe(a);
    expect(built()).toBe(4);
  });

  it('reports each series with its RPCs in progress', () => {
    const { made } = table();
    made.of(start('Echo'), '').active += 2;
    made.of(start('EchoServer'), '').active += 1;
    expect(reported(made)).toEqual([
      [2, { 'rpc.method': 'Echo' }],
      [1, { 'rpc.method': 'EchoServer' }],
    ]);
  });

  it('when full, drops only series idle since their last report, then overflows', () => {
    const { made } = table(2);
    const echo = made.of(start('Echo'), '');
    echo.active = 1;
    const a = made.of(start('A'), '');
    a.active = 1;
    reported(made); // A was seen at 1
    a.active = 0;
    // Full: `A` is idle but its last report said 1 (a reader must see it at 0 once more), and
    // `Echo` is active: a new series goes to the overflow one.
    const overflow = made.of(start('B'), '');
    expect(overflow.common).toEqual({ 'otel.metric.overflow': true });
    reported(made);
    // `A` was reported at 0 and is idle: it makes room. `Echo` (active) stays.
    const b = made.of(start('B'), '');
    expect(b.common).toEqual({ 'rpc.method': 'B' });
    expect(made.of(start('Echo'), '')).toBe(echo);
    expect(made.size).toBe(2);
    overflow.active = 3;
    expect(reported(made)).toContainEqual([3, { 'otel.metric.overflow': true }]);
  });

  it('stays bounded under a flood of distinct methods', () => {
    const { made } = table(50);
    for (let i = 0; i < 1000; i++) {
      const series = made.of(start(`M${i}`), '');
      series.active++;
      series.active--;
      if (i % 10 === 0) reported(made);
    }
    expect(made.size).toBeLessThanOrEqual(50);
  });
});
