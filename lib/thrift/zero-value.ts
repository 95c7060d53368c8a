import { type ThriftType } from './schema.js';

/**
 * The value Go's zero value maps to, which Kitex writes for an unset field of default
 * requiredness and a decoder gives a field that was absent: `false`, `0`, `0n`, `''`, an empty
 * `Uint8Array`, `[]`, an empty `Map`. Undefined for structs (a nil pointer in Go).
 *
 * @internal not covered by semver
 */
export function zeroValue(type: ThriftType): unknown {
  switch (type.kind) {
    case 'bool':
      return false;
    case 'byte':
    case 'i16':
    case 'i32':
    case 'double':
    case 'enum':
      return 0;
    case 'i64':
      return type.asNumber === true ? 0 : 0n;
    case 'string':
      return '';
    case 'binary':
      return new Uint8Array(0);
    case 'list':
    case 'set':
      return [];
    case 'map':
      return new Map();
    case 'struct':
      return undefined;
  }
}

/**
 * A deep copy of a default value, so a decoded message never shares a mutable default with
 * another one.
 *
 * @internal not covered by semver
 */
export function cloneValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneValue);
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of value as Map<unknown, unknown>) out.set(cloneValue(k), cloneValue(v));
    return out;
  }
  if (value instanceof Uint8Array) return value.slice();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = cloneValue(v);
  return out;
}

/** True when a default is a primitive and can be shared between decoded values. */
export function isImmutable(value: unknown): boolean {
  return typeof value !== 'object' || value === null;
}
