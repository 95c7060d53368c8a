/**
 * `value` as an `Error`: an Error (from any realm) as is, anything else wrapped with
 * {@link describeValue} as the message and the value as `cause`. @internal not covered by semver
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (isErrorLike(value)) return value;
  return new Error(describeValue(value), { cause: value });
}

/** A short text for any thrown value: the message of an error, the string, or its JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error || isErrorLike(value)) return value.message;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string' &&
    typeof (value as { name?: unknown }).name === 'string'
  );
}
