/**
 * `{ ...a, ...b }` for per-call header records, without its cost: on Node 20 (V8 11.3) a spread
 * of a non-empty object followed by more keys takes about 1 µs (a copy alone, `{ ...a }`, takes
 * 20-30 ns; `Object.assign` about 80). Later keys win, as with the spread.
 * @internal not covered by semver
 */
export function mergedRecords<V>(
  a: Readonly<Record<string, V>> | undefined,
  b: Readonly<Record<string, V>> | undefined,
): Record<string, V> {
  if (a === undefined) return { ...b };
  if (b === undefined) return { ...a };
  return Object.assign({}, a, b);
}
