/**
 * Schema types that drive the codec. A loader builds them from IDL (`parseThriftIdl`), code
 * generation emits them as data, and tests may write them by hand.
 *
 * Value mapping (the same in the runtime and the generated types):
 * - bool: `boolean`; byte, i16, i32, enum: `number`; double: `number`;
 * - i64: `bigint`, or `number` when the type says `asNumber` (IDL annotation `js.type="number"`);
 * - string: `string` (UTF-8 on the wire); binary: `Uint8Array`;
 * - list and set: arrays (encode also takes a `Set` for a set); map: `Map`;
 * - struct, union, exception: plain objects keyed by field name; an unset optional field is
 *   absent (or `undefined`/`null` when encoding).
 */
export type ThriftType =
  | { readonly kind: 'bool' }
  | { readonly kind: 'byte' }
  | { readonly kind: 'i16' }
  | { readonly kind: 'i32' }
  | { readonly kind: 'i64'; readonly asNumber?: boolean }
  | { readonly kind: 'double' }
  | { readonly kind: 'string' }
  | { readonly kind: 'binary' }
  | { readonly kind: 'enum'; readonly enum: EnumSchema }
  | { readonly kind: 'struct'; readonly struct: StructSchema }
  | { readonly kind: 'list'; readonly element: ThriftType }
  | { readonly kind: 'set'; readonly element: ThriftType }
  | { readonly kind: 'map'; readonly key: ThriftType; readonly value: ThriftType };

/** The kind of a {@link ThriftType}. */
export type ThriftTypeKind = ThriftType['kind'];

/**
 * `required`: must be set on encode and present on decode. `optional`: written only when set
 * (and, for a scalar with an IDL default, only when it differs from that default, as
 * Kitex-generated Go code does); absent on decode unless it has an IDL default.
 * `default` (no keyword in the IDL): always written, its IDL default or zero value when unset,
 * and filled in the same way on decode when absent.
 */
export type FieldRequiredness = 'required' | 'optional' | 'default';

/** One field of a struct, union or exception. */
export interface FieldSchema {
  /** The field id (may be negative in old IDL). */
  readonly id: number;
  /** The field name, also the property name in values. */
  readonly name: string;
  /** The resolved type (typedefs already replaced by what they name). */
  readonly type: ThriftType;
  /** See {@link FieldRequiredness}. */
  readonly requiredness: FieldRequiredness;
  /** The IDL default as a value of the mapped JavaScript type, when the IDL gives one. */
  readonly defaultValue?: unknown;
  /** The field's IDL annotations, when it has any. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Which IDL construct a struct schema comes from. */
export type StructKind = 'struct' | 'union' | 'exception';

/** A struct, union or exception. Fields are in declaration order. */
export interface StructSchema {
  /** The name, qualified with the include name for types from included files (`base.Base`). */
  readonly name: string;
  readonly kind: StructKind;
  readonly fields: readonly FieldSchema[];
  /** The type's IDL annotations, when it has any. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** One enum member. */
export interface EnumMemberSchema {
  readonly name: string;
  readonly value: number;
}

/** An enum; values travel as i32. */
export interface EnumSchema {
  /** The name, qualified like {@link StructSchema.name}. */
  readonly name: string;
  readonly members: readonly EnumMemberSchema[];
}

/** True for the types Kitex writes first in a struct (bool, byte, i16, i32, i64, double). */
export function isFixedLengthType(type: ThriftType): boolean {
  return FIXED_LENGTH_KINDS.has(type.kind);
}

const FIXED_LENGTH_KINDS: ReadonlySet<ThriftTypeKind> = new Set([
  'bool',
  'byte',
  'i16',
  'i32',
  'i64',
  'double',
]);

/**
 * The order Kitex-generated Go code writes fields in (`reorderStructFields`): fixed-length
 * fields first, in declaration order, then the others in declaration order. Enums count as
 * variable-length there.
 */
export function kitexFieldOrder(fields: readonly FieldSchema[]): FieldSchema[] {
  return [
    ...fields.filter((f) => isFixedLengthType(f.type)),
    ...fields.filter((f) => !isFixedLengthType(f.type)),
  ];
}
