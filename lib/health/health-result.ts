import { ApplicationException, BizStatusError, TTStreamError } from '../errors/index.js';

/**
 * One indicator's entry, shaped like Terminus's `HealthIndicatorResult` value: `status` plus
 * details (`state`, `address`, `message`, `code` as they apply).
 */
export interface TTStreamHealthDetail {
  readonly status: 'up' | 'down';
  readonly [detail: string]: unknown;
}

/**
 * What the indicator's checks resolve to: `{ [key]: { status: 'up' | 'down', ... } }`, the plain
 * result `HealthCheckService.check()` of `@nestjs/terminus` 11 and 12 reads (a `down` entry makes
 * the check fail with 503). The checks never reject: a failure is a `down` entry.
 */
export type TTStreamHealthResult<Key extends string = string> = Record<Key, TTStreamHealthDetail>;

/** `{ [key]: { status: 'up', ...details } }`. @internal */
export function healthUp<Key extends string>(
  key: Key,
  details: Readonly<Record<string, unknown>> = {},
): TTStreamHealthResult<Key> {
  return { [key]: { ...details, status: 'up' } } as TTStreamHealthResult<Key>;
}

/** `{ [key]: { status: 'down', ...details } }`. @internal */
export function healthDown<Key extends string>(
  key: Key,
  details: Readonly<Record<string, unknown>> = {},
): TTStreamHealthResult<Key> {
  return { [key]: { ...details, status: 'down' } } as TTStreamHealthResult<Key>;
}

/**
 * The details of a failed check: the error's message and, when it has one, its code (the Kitex
 * code of a `TTStreamError`, plus `typeId` for an `ApplicationException`; the business code of a
 * `BizStatusError`). @internal
 */
export function errorDetails(error: unknown): Record<string, unknown> {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ApplicationException) {
    return { message, code: error.code, typeId: error.typeId };
  }
  if (error instanceof TTStreamError) return { message, code: error.code };
  if (error instanceof BizStatusError) return { message, code: error.bizStatusCode };
  return { message };
}
