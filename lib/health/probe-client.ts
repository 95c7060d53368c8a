import {
  defaultIfEmpty,
  defer,
  firstValueFrom,
  type Observable,
  take,
  throwError,
  timeout,
} from 'rxjs';
import { type TTStreamClient } from '../client/ttstream.client.js';
import { type TTStreamClientHealthOptions } from './client-health-options.interface.js';

/** Default budget of a client check, in ms (Kitex's dial timeout). */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1000;

/**
 * Dials through `client` (its `connect()`), then makes the configured call; resolves when both
 * succeed within the budget, rejects with the first failure.
 * @internal not covered by semver
 */
export async function probeClient(
  client: TTStreamClient,
  options: TTStreamClientHealthOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const { pattern } = options;
  // Nest's send() connects first, then calls: one Observable, so one timeout bounds both, and
  // unsubscribing on timeout (or after the first response) cancels the stream.
  const check$: Observable<unknown> =
    pattern === undefined
      ? defer(() => client.connect())
      : client.send<unknown>(pattern, options.request ?? {}).pipe(take(1));
  await firstValueFrom(
    check$.pipe(
      defaultIfEmpty(undefined),
      timeout({
        first: timeoutMs,
        with: () => throwError(() => new Error(`health check timed out after ${timeoutMs}ms`)),
      }),
    ),
  );
}
