/**
 * Shared empty maps for decoded frames without pairs, so a DATA frame costs no Map allocation.
 * `set`, `delete` and `clear` throw, so a caller that casts away `ReadonlyMap` cannot poison
 * every later frame.
 * @internal not covered by semver
 */
function frozenEmptyMap<K, V>(): ReadonlyMap<K, V> {
  const map = new Map<K, V>();
  const refuse = (): never => {
    throw new TypeError('shared empty frame header map is read-only');
  };
  Object.defineProperties(map, {
    set: { value: refuse },
    delete: { value: refuse },
    clear: { value: refuse },
  });
  return Object.freeze(map);
}

/** @internal The empty string-key map shared by decoded frames. */
export const EMPTY_STR_HEADERS: ReadonlyMap<string, string> = frozenEmptyMap();

/** @internal The empty int-key map shared by decoded frames. */
export const EMPTY_INT_HEADERS: ReadonlyMap<number, string> = frozenEmptyMap();
