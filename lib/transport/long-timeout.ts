/** The longest delay `setTimeout` honours (2^31-1 ms, about 24.8 days); past it Node fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `setTimeout` for any delay: up to {@link MAX_TIMER_MS} it is `setTimeout` itself; past it the
 * delay is split into equal steps that each fit, and the same timer is refreshed for each, so the
 * returned handle clears it with `clearTimeout` at any point (the steps are whole milliseconds,
 * so a long delay ends under 1 ms late per 24.8 days). A delay a peer sends (int key 12 is
 * a decimal string, so it can be 30 days or 2^63 ms) then fires when it says, never at once, and
 * Node prints no `TimeoutOverflowWarning`. A non-finite delay never fires.
 * @internal not covered by semver
 */
export function setLongTimeout(callback: () => void, delayMs: number): NodeJS.Timeout {
  if (delayMs <= MAX_TIMER_MS) return setTimeout(callback, delayMs);
  let stepsLeft = Number.isFinite(delayMs) ? Math.ceil(delayMs / MAX_TIMER_MS) : Infinity;
  // Whole milliseconds, rounded up: late by under 1 ms per 24.8 days, never early.
  const step = Number.isFinite(stepsLeft) ? Math.ceil(delayMs / stepsLeft) : MAX_TIMER_MS;
  const timer = setTimeout(() => {
    stepsLeft--;
    if (stepsLeft > 0) timer.refresh();
    else callback();
  }, step);
  return timer;
}
