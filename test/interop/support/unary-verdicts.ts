/**
 * What real Kitex (v0.16.3) does for the unary and oneway methods of TestService, as the Go client's
 * `unary_*` scenarios record it (test/interop/README.md "Unary scenarios"; the facts are
 * test/fixtures/kitex/README.md D16-D23). Shared by the unary interop specs: the Kitex-client spec
 * checks both the Kitex server (the reference) and our server against these values, and compares
 * the two servers' verdicts field by field; the Nest-client spec expects the same outcomes from our
 * client against the Kitex server.
 */
import { expect } from '@jest/globals';
import type { Verdict, VerdictError } from './peer.js';

/** The Go client's `-transport` values (fixtures D16: what each sends). */
export const KITEX_SHAPES = [
  'default',
  'framed',
  'ttheader',
  'ttheader-as-written',
  'ttheader-framed',
  'buffered',
] as const;

/** A `-transport` value. */
export type KitexShape = (typeof KITEX_SHAPES)[number];

/** Whether business errors, metainfo, `isn` and int key 12 travel (TTHeader shapes only). */
export function isTTHeaderShape(shape: KitexShape): boolean {
  return shape === 'ttheader' || shape === 'ttheader-as-written' || shape === 'ttheader-framed';
}

/** The error of a unary verdict: the streaming fields plus the unary ones. */
export interface UnaryVerdictError extends VerdictError {
  readonly declared?: { code: number; message: string };
  readonly kerrors?: string[];
  readonly chain?: string[];
}

/** A unary verdict of the Go client. */
export interface UnaryVerdict extends Omit<Verdict, 'error'> {
  readonly transport?: string;
  readonly error: UnaryVerdictError | null;
}

/** The unary scenarios that need only the reference behaviour (no test hooks). */
export const PLAIN_SCENARIOS = [
  'unary_echo',
  'unary_ok',
  'unary_biz_error',
  'unary_declared',
  'unary_plain_error',
  'unary_notify',
  'unary_unknown_method',
  'unary_mixed',
] as const;

/** The scenarios that need the `sleep:<ms>` and `x-metainfo` hooks of the Go server. */
export const HOOK_SCENARIOS = ['unary_timeout', 'unary_metainfo'] as const;

/** Exact texts real Kitex clients show (fixtures D18). */
export const KITEX_TEXTS = {
  biz: 'biz error: code=10001, msg=insufficient user balance',
  plain: 'remote or network error[remote]: biz error: test error',
  declared: 'EchoException({Code:42 Message:declared failure})',
  unknownMethodTTHeader:
    'remote or network error[remote]: unknown method NoSuchMethod (service TestService)',
  unknownMethodOther: 'remote or network error[remote]: unknown service , method NoSuchMethod',
  timeout:
    /^rpc timeout: timeout=100ms, to=echo, method=EchoUnary, location=kitex\.rpcTimeoutMW, remote=127\.0\.0\.1:\d+$/,
} as const;

/** The business error of UnaryWithErr{count 0} (echo-service.md). */
export const BIZ_ERROR = {
  code: 10001,
  message: 'insufficient user balance',
  extra: { testKey: 'testVal' },
} as const;

/** Parsed JSON lines of a Go client run, keyed by scenario (the last verdict of each). */
export function byScenario(verdicts: readonly Verdict[]): Map<string, UnaryVerdict> {
  return new Map(verdicts.map((v) => [v.scenario, v as UnaryVerdict]));
}

/** The verdict of `scenario`, or a failure naming what is there. */
export function verdictOf(
  verdicts: ReadonlyMap<string, UnaryVerdict>,
  scenario: string,
): UnaryVerdict {
  const v = verdicts.get(scenario);
  if (v === undefined) {
    throw new Error(`no verdict for ${scenario}; got ${[...verdicts.keys()].join(', ')}`);
  }
  return v;
}

const VOLATILE_EXTRA = new Set(['call_ms', 'load_ms', 'polls', 'user_id']);

/**
 * A verdict without what changes from run to run or server to server (times, the random userId,
 * the server's port in the timeout text), for comparing our server with the Kitex server.
 */
export function normalized(v: UnaryVerdict): Record<string, unknown> {
  const error = (e: UnaryVerdictError | null | undefined): unknown =>
    e === null || e === undefined
      ? null
      : {
          ...e,
          text: e.text.replace(/remote=127\.0\.0\.1:\d+/, 'remote=<server>'),
          at_ms: undefined,
          call_ms: undefined,
        };
  const extra = Object.fromEntries(
    Object.entries(v.extra ?? {})
      .filter(([k]) => !VOLATILE_EXTRA.has(k))
      .map(([k, x]) => {
        if (k !== 'after' || typeof x !== 'object' || x === null) return [k, x];
        const after = x as { error?: UnaryVerdictError; response?: unknown };
        return [k, { response: after.response, error: error(after.error) }];
      }),
  );
  return {
    scenario: v.scenario,
    method: v.method,
    transport: v.transport,
    pool: v.pool,
    ok: v.ok,
    problems: v.problems,
    sent: v.sent,
    received: v.received,
    header: v.header,
    error: error(v.error),
    extra,
  };
}

/**
 * Asserts what real Kitex showed for `scenario` in `shape` (the Go client against the Kitex
 * server); `unary_mixed` / `unary_scale` only check that everything succeeded.
 */
export function expectKitexOutcome(v: UnaryVerdict, shape: KitexShape): void {
  // first_errors (load scenarios) names the failed calls when problems is not empty
  expect({ scenario: v.scenario, problems: v.problems, errors: v.extra?.['first_errors'] }).toEqual(
    {
      scenario: v.scenario,
      problems: [],
      errors: v.extra?.['first_errors'],
    },
  );
  const tt = isTTHeaderShape(shape);
  switch (v.scenario) {
    case 'unary_echo':
      expect(v.received).toEqual([{ message: 'hello', index: 3 }]);
      expect(v.error).toBeNull();
      break;
    case 'unary_ok':
      expect(v.received).toEqual([{ message: 'ok', index: 3 }]);
      expect(v.error).toBeNull();
      break;
    case 'unary_biz_error':
      expect(v.received).toEqual([]);
      if (tt) {
        expect(v.error).toMatchObject({
          text: KITEX_TEXTS.biz,
          go_type: '*kerrors.BizStatusError',
          biz: BIZ_ERROR,
        });
      } else {
        // D17: no error and a nil response
        expect(v.error).toBeNull();
        expect(v.extra?.['response_nil']).toBe(true);
      }
      break;
    case 'unary_declared':
      expect(v.error).toMatchObject({
        text: KITEX_TEXTS.declared,
        go_type: '*echo.EchoException',
        declared: { code: 42, message: 'declared failure' },
        chain: ['*echo.EchoException'],
      });
      break;
    case 'unary_plain_error':
      expect(v.error).toMatchObject({
        text: KITEX_TEXTS.plain,
        go_type: '*kerrors.DetailedError',
        app_exception: { type_id: 6, message: 'biz error: test error' },
        kerrors: ['remote_or_network'],
        chain: ['*kerrors.DetailedError', '*remote.TransError', '*thrift.ApplicationException'],
      });
      break;
    case 'unary_notify':
      expect(v.received).toEqual([{ message: 'notify-2', index: 2 }]);
      expect(v.error).toBeNull();
      break;
    case 'unary_unknown_method':
      expect(v.error).toMatchObject(
        tt
          ? {
              text: KITEX_TEXTS.unknownMethodTTHeader,
              app_exception: {
                type_id: 1,
                message: 'unknown method NoSuchMethod (service TestService)',
              },
            }
          : {
              text: KITEX_TEXTS.unknownMethodOther,
              app_exception: { type_id: 20, message: 'unknown service , method NoSuchMethod' },
            },
      );
      break;
    case 'unary_timeout':
      expect(v.error?.text).toMatch(KITEX_TEXTS.timeout);
      expect(v.error?.kerrors).toEqual(['rpc_timeout']);
      expect((v.extra?.['after'] as { response?: unknown } | undefined)?.response).toEqual({
        message: 'after-timeout',
        index: 2,
      });
      break;
    case 'unary_metainfo': {
      expect(v.received).toEqual([{ message: 'hello', index: 1 }]);
      const header = v.header ?? {};
      if (tt) {
        expect(Object.keys(header)).toEqual(['x-metainfo']);
        expect(JSON.parse(header['x-metainfo'] ?? 'null')).toEqual({
          persistent: { k1: 'v1' },
          transient: { k2: 'v2' },
        });
      } else {
        expect(header).toEqual({});
      }
      break;
    }
    case 'unary_mixed':
      expect(v.extra).toMatchObject({ failed: 0 });
      expect(v.extra?.['unary_ok']).toBe(v.extra?.['unary_workers']);
      expect(v.extra?.['stream_ok']).toBe(v.extra?.['stream_workers']);
      break;
    case 'unary_scale':
      expect(v.extra).toMatchObject({ failed: 0, ok: v.extra?.['calls'] });
      break;
    default:
      throw new Error(`no expectation for ${v.scenario}`);
  }
}
