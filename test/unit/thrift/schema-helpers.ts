import {
  type FieldRequiredness,
  type FieldSchema,
  type StructKind,
  type StructSchema,
  type ThriftType,
} from '../../../lib/thrift/schema.js';

/** Shorthand types for hand-written schemas. */
export const T = {
  bool: { kind: 'bool' },
  byte: { kind: 'byte' },
  i16: { kind: 'i16' },
  i32: { kind: 'i32' },
  i64: { kind: 'i64' },
  i64n: { kind: 'i64', asNumber: true },
  double: { kind: 'double' },
  string: { kind: 'string' },
  binary: { kind: 'binary' },
  list: (element: ThriftType): ThriftType => ({ kind: 'list', element }),
  set: (element: ThriftType): ThriftType => ({ kind: 'set', element }),
  map: (key: ThriftType, value: ThriftType): ThriftType => ({ kind: 'map', key, value }),
  struct: (struct: StructSchema): ThriftType => ({ kind: 'struct', struct }),
} as const satisfies Record<string, ThriftType | ((...args: never[]) => ThriftType)>;

/** A field; requiredness defaults to `default`. */
export function field(
  id: number,
  name: string,
  type: ThriftType,
  requiredness: FieldRequiredness = 'default',
  defaultValue?: unknown,
): FieldSchema {
  return { id, name, type, requiredness, ...(defaultValue === undefined ? {} : { defaultValue }) };
}

/** A struct schema whose fields array can be filled later (for recursive types). */
export function struct(
  name: string,
  fields: FieldSchema[],
  kind: StructKind = 'struct',
): StructSchema & { fields: FieldSchema[] } {
  return { name, kind, fields };
}
