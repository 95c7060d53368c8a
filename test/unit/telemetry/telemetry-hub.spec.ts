import { describe, expect, it, jest } from '@jest/globals';
import {
  type RpcObserver,
  type RpcStart,
  type TTStreamTelemetry,
} from '../../../lib/telemetry/rpc-lifecycle.js';
import { OK_OUTCOME } from '../../../lib/telemetry/rpc-outcome.js';
import { resolveTelemetry } from '../../../lib/telemetry/telemetry-hub.js';

const START: RpcStart = {
  side: 'server',
  service: 'S',
  method: 'M',
  kind: 'unary',
  peer: undefined,
  timeoutMs: undefined,
  idlPackage: undefined,
  localService: undefined,
  headers: {},
};
const STATS = { sentMessages: 1, receivedMessages: 1, durationMs: 1 };

/** A plug-in whose observer logs its events under `name`. */
function recorder(name: string, log: string[], withMessage = true): TTStreamTelemetry {
  return {
    start(event) {
      log.push(`${name}:start:${event.method}`);
      const observer: RpcObserver = {
        run: (fn) => {
          log.push(`${name}:run`);
          return fn();
        },
        end: (outcome) => log.push(`${name}:end:${outcome.kind}`),
      };
      if (withMessage) observer.message = (direction) => log.push(`${name}:${direction}`);
      return observer;
    },
  };
}

describe('resolveTelemetry', () => {
  it('is undefined for false and for an empty list', () => {
    expect(resolveTelemetry(false, () => undefined)).toBeUndefined();
    expect(resolveTelemetry([], () => undefined)).toBeUndefined();
  });

  it("'auto' (the default) yields OpenTelemetry, which observes nothing without an SDK", () => {
    const hub = resolveTelemetry(undefined, () => undefined);
    expect(hub).toBeDefined();
    expect(hub?.start(START)).toBeUndefined();
  });

  it('hands a single plug-in its own observer', () => {
    const log: string[] = [];
    const hub = resolveTelemetry(recorder('a', log), () => undefined);
    const observer = hub?.start(START);
    expect(observer?.run?.(() => 7)).toBe(7);
    observer?.end(OK_OUTCOME, STATS);
    expect(log).toEqual(['a:start:M', 'a:run', 'a:end:ok']);
    expect(hub?.connection).toBeUndefined();
  });

  it('fans events out to every plug-in, the first one outermost in run()', () => {
    const log: string[] = [];
    const hub = resolveTelemetry([recorder('a', log), recorder('b', log, false)], () => undefined);
    const observer = hub?.start(START);
    observer?.run?.(() => log.push('handler'));
    observer?.message?.('sent', {}, 1);
    observer?.end(OK_OUTCOME, STATS);
    expect(log).toEqual([
      'a:start:M',
      'b:start:M',
      'a:run',
      'b:run',
      'handler',
      'a:sent',
      'a:end:ok',
      'b:end:ok',
    ]);
  });

  it('leaves out message when no observer wants messages', () => {
    const log: string[] = [];
    const hub = resolveTelemetry(
      [recorder('a', log, false), recorder('b', log, false)],
      () => undefined,
    );
    expect(typeof hub?.start(START)?.message).toBe('undefined');
  });

  it('isolates a plug-in that throws, reporting it once', () => {
    const log: string[] = [];
    const onError = jest.fn();
    const failing: TTStreamTelemetry = {
      start() {
        throw new Error('broken plug-in');
      },
    };
    const hub = resolveTelemetry([failing, recorder('a', log)], onError);
    for (let i = 0; i < 3; i++) hub?.start(START)?.end(OK_OUTCOME, STATS);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(log.filter((line) => line === 'a:end:ok')).toHaveLength(3);
  });

  it("keeps an observer's throwing events out of the RPC, reporting them once", () => {
    const reported: unknown[] = [];
    const failing: TTStreamTelemetry = {
      start: () => ({
        run: (fn) => fn(),
        message: () => {
          throw new Error('message broke');
        },
        end: () => {
          throw new Error('end broke');
        },
      }),
    };
    const hub = resolveTelemetry(failing, (error) => reported.push(error));
    const observer = hub?.start(START);
    expect(observer?.run?.(() => 'handler ran')).toBe('handler ran');
    expect(() => observer?.message?.('sent', {}, undefined)).not.toThrow();
    expect(() => {
      observer?.end(OK_OUTCOME, STATS);
    }).not.toThrow();
    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toContain('message broke');
  });

  it('passes connections to the plug-ins that watch them', () => {
    const ends: number[] = [];
    const watcher: TTStreamTelemetry = {
      start: () => undefined,
      connection: () => ({ end: (stats) => ends.push(stats.bytesIn) }),
    };
    const hub = resolveTelemetry([watcher, recorder('a', [])], () => undefined);
    hub?.connection?.({ side: 'server', peer: undefined })?.end({ bytesIn: 5, bytesOut: 6 });
    expect(ends).toEqual([5]);
  });
});
