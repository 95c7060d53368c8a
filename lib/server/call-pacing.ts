import { type OutboundPressure } from './outbound-pressure.js';

/**
 * The write pacing of each call, keyed by its context object (the handler's second argument), so
 * that `@StreamPattern`'s interceptor can pull a generator's messages only as fast as they are
 * written.
 * @internal not covered by semver
 */
const pacings = new WeakMap<object, OutboundPressure>();

/** Records the pacing of the call whose context is `key`. @internal */
export function setCallPacing(key: object, pacing: OutboundPressure): void {
  pacings.set(key, pacing);
}

/** The pacing recorded for `key`, if any. @internal */
export function callPacing(key: unknown): OutboundPressure | undefined {
  return typeof key === 'object' && key !== null ? pacings.get(key) : undefined;
}
