let next = 1;

/**
 * The next client stream id from the process-wide counter: 1, 2, ... 2^31-1, then -2^31 upwards,
 * never 0 (Kitex `genStreamID`, reserved for connection-level frames).
 */
export function nextStreamId(): number {
  const id = next;
  next = (next + 1) | 0;
  if (next === 0) next = 1;
  return id;
}

/** Sets the counter (tests of the wrap-around only). @internal not covered by semver */
export function setNextStreamIdForTesting(value: number): void {
  next = value === 0 ? 1 : value | 0;
}
