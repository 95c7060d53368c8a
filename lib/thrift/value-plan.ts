import { type BinaryReader } from './binary-reader.js';
import { type BinaryWriter } from './binary-writer.js';
import { DecodeProblem } from './decode-problem.js';
import { EncodeProblem } from './encode-problem.js';
import { type StructSchema, type ThriftType } from './schema.js';
import { minValueBytes } from './skip.js';
import { TType, ttypeName } from './ttype.js';

/**
 * How {@link readValue} reads a type: one small integer per reader, so decoding is a `switch`
 * with monomorphic reader calls in each arm instead of a call through a per-type closure.
 *
 * @internal not covered by semver
 */
export const ReadKind = {
  Bool: 0,
  Byte: 1,
  I16: 2,
  I32: 3,
  I64: 4,
  I64Number: 5,
  Double: 6,
  String: 7,
  Binary: 8,
  Struct: 9,
  List: 10,
  Map: 11,
} as const;

/** One of the {@link ReadKind} values. */
export type ReadKind = (typeof ReadKind)[keyof typeof ReadKind];

/**
 * A precompiled writer and reader for one Thrift type. Every plan has every property (unused
 * ones `undefined`), so the decoder's property loads see one object shape.
 *
 * @internal not covered by semver
 */
export interface ValuePlan {
  /** The wire type id. */
  readonly ttype: TType;
  /** The fewest bytes a value takes on the wire (for container count checks). */
  readonly minBytes: number;
  /** How {@link readValue} reads it. */
  readonly kind: ReadKind;
  /** Validates and writes `value`; throws an `EncodeProblem` on a bad value. */
  write(writer: BinaryWriter, value: unknown): void;
  /** The struct of a struct plan. */
  readonly struct: StructPlanLike | undefined;
  /** The element of a list or set plan. */
  readonly element: ValuePlan | undefined;
  /** The key of a map plan. */
  readonly key: ValuePlan | undefined;
  /** The value of a map plan. */
  readonly value: ValuePlan | undefined;
}

/**
 * What a struct plan offers a value plan.
 *
 * @internal not covered by semver
 */
export interface StructPlanLike {
  write(writer: BinaryWriter, value: object): void;
  read(reader: BinaryReader): Record<string, unknown>;
}

function plan(
  ttype: TType,
  minBytes: number,
  kind: ReadKind,
  write: (writer: BinaryWriter, value: unknown) => void,
  children: {
    readonly struct?: StructPlanLike;
    readonly element?: ValuePlan;
    readonly key?: ValuePlan;
    readonly value?: ValuePlan;
  } = {},
): ValuePlan {
  return {
    ttype,
    minBytes,
    kind,
    write,
    struct: children.struct,
    element: children.element,
    key: children.key,
    value: children.value,
  };
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a Map';
  if (value instanceof Uint8Array) return 'a Uint8Array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'bigint') return `bigint ${value.toString()}`;
  if (typeof value === 'number' || typeof value === 'boolean') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
}

function expected(what: string, value: unknown): EncodeProblem {
  return new EncodeProblem(`expected ${what}, got ${describe(value)}`);
}

const BOOL = plan(TType.Bool, 1, ReadKind.Bool, (w, v) => {
  if (typeof v !== 'boolean') throw expected('a boolean', v);
  w.writeByte(v ? 1 : 0);
});

const BYTE = plan(TType.Byte, 1, ReadKind.Byte, (w, v) => {
  if (typeof v !== 'number' || (v << 24) >> 24 !== v) throw expected('an integer in -128..127', v);
  w.writeByte(v & 0xff);
});

const I16 = plan(TType.I16, 2, ReadKind.I16, (w, v) => {
  if (typeof v !== 'number' || (v << 16) >> 16 !== v) throw expected('an i16 integer', v);
  w.writeI16(v);
});

function writeI32(w: BinaryWriter, v: unknown, what: string): void {
  if (typeof v !== 'number' || (v | 0) !== v) throw expected(what, v);
  w.writeI32(v);
}

const I32 = plan(TType.I32, 4, ReadKind.I32, (w, v) => {
  writeI32(w, v, 'an i32 integer');
});

function writeI64(w: BinaryWriter, v: unknown): void {
  if (typeof v === 'bigint') {
    if (v < I64_MIN || v > I64_MAX) throw expected('an i64', v);
    w.writeI64(v);
  } else if (typeof v === 'number' && Number.isSafeInteger(v)) {
    w.writeI64Number(v);
  } else {
    throw expected('a bigint or a safe integer', v);
  }
}

const I64_BIGINT = plan(TType.I64, 8, ReadKind.I64, writeI64);

const I64_NUMBER = plan(TType.I64, 8, ReadKind.I64Number, writeI64);

const DOUBLE = plan(TType.Double, 8, ReadKind.Double, (w, v) => {
  if (typeof v !== 'number') throw expected('a number', v);
  w.writeDouble(v);
});

const STRING = plan(TType.String, 4, ReadKind.String, (w, v) => {
  if (typeof v !== 'string') throw expected('a string', v);
  w.writeString(v);
});

const BINARY = plan(TType.String, 4, ReadKind.Binary, (w, v) => {
  if (!(v instanceof Uint8Array)) throw expected('a Uint8Array', v);
  w.writeBinary(v);
});

const ENUM = plan(TType.I32, 4, ReadKind.I32, (w, v) => {
  writeI32(w, v, 'an enum value (i32)');
});

function structPlan(struct: StructPlanLike): ValuePlan {
  return plan(
    TType.Struct,
    1,
    ReadKind.Struct,
    (w, v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Map) {
        throw expected('an object', v);
      }
      struct.write(w, v);
    },
    { struct },
  );
}

function listPlan(element: ValuePlan, isSet: boolean): ValuePlan {
  const what = isSet ? 'an array or a Set' : 'an array';
  const writeArray = (w: BinaryWriter, items: readonly unknown[]): void => {
    w.writeByte(element.ttype);
    const n = items.length;
    w.writeI32(n);
    for (let i = 0; i < n; i++) {
      try {
        element.write(w, items[i]);
      } catch (error) {
        if (error instanceof EncodeProblem) throw error.within(`[${i}]`);
        throw error;
      }
    }
  };
  return plan(
    isSet ? TType.Set : TType.List,
    5,
    ReadKind.List,
    (w, v) => {
      if (Array.isArray(v)) writeArray(w, v);
      else if (isSet && v instanceof Set) writeArray(w, [...(v as Set<unknown>)]);
      else throw expected(what, v);
    },
    { element },
  );
}

function mapPlan(key: ValuePlan, value: ValuePlan): ValuePlan {
  return plan(
    TType.Map,
    6,
    ReadKind.Map,
    (w, v) => {
      if (!(v instanceof Map)) throw expected('a Map', v);
      w.writeByte(key.ttype);
      w.writeByte(value.ttype);
      w.writeI32(v.size);
      let i = 0;
      for (const [k, item] of v as Map<unknown, unknown>) {
        try {
          key.write(w, k);
        } catch (error) {
          if (error instanceof EncodeProblem) throw error.within(`{key ${i}}`);
          throw error;
        }
        try {
          value.write(w, item);
        } catch (error) {
          if (error instanceof EncodeProblem) throw error.within(`{value ${i}}`);
          throw error;
        }
        i++;
      }
    },
    { key, value },
  );
}

/**
 * Reads one value of `p`'s type; throws a `DecodeProblem` on bad bytes.
 *
 * @internal not covered by semver
 */
export function readValue(r: BinaryReader, p: ValuePlan): unknown {
  switch (p.kind) {
    case ReadKind.Bool:
      return r.readByte() !== 0;
    case ReadKind.Byte:
      return r.readI8();
    case ReadKind.I16:
      return r.readI16();
    case ReadKind.I32:
      return r.readI32();
    case ReadKind.I64:
      return r.readI64();
    case ReadKind.I64Number:
      return r.readI64Number();
    case ReadKind.Double:
      return r.readDouble();
    case ReadKind.String:
      return r.readString();
    case ReadKind.Binary:
      return r.readBinary();
    case ReadKind.Struct:
      return (p.struct as StructPlanLike).read(r);
    case ReadKind.List:
      return readList(r, p.element as ValuePlan);
    case ReadKind.Map:
      return readMap(r, p.key as ValuePlan, p.value as ValuePlan);
  }
}

/** The fewest bytes an element of wire type `type` takes, at least 1 (for the count check). */
function elementBytes(type: number, p: ValuePlan): number {
  return type === p.ttype ? p.minBytes : (minValueBytes(type) ?? 1);
}

/** Checks a non-empty container's element type is what the schema says. */
function checkElementType(type: number, p: ValuePlan, role: string): void {
  if (type !== p.ttype) {
    throw new DecodeProblem(
      `${role} type ${ttypeName(type)} does not match the schema's ${ttypeName(p.ttype)}`,
    );
  }
}

/**
 * Reads a list or set whose elements `element` describes.
 *
 * @internal not covered by semver
 */
export function readList(r: BinaryReader, element: ValuePlan): unknown[] {
  r.enter();
  const type = r.readByte();
  const count = r.readCount(elementBytes(type, element));
  // An empty container may carry any element type (some writers put 0 there).
  if (count > 0) checkElementType(type, element, 'element');
  let out: unknown[];
  // Fixed-width elements: readCount checked that all of them are there, so the bulk readers
  // skip the per-element bounds check.
  switch (element.kind) {
    case ReadKind.Bool:
      out = r.readBoolArray(count);
      break;
    case ReadKind.Byte:
      out = r.readI8Array(count);
      break;
    case ReadKind.I16:
      out = r.readI16Array(count);
      break;
    case ReadKind.I32:
      out = r.readI32Array(count);
      break;
    case ReadKind.I64:
      out = r.readI64Array(count);
      break;
    case ReadKind.Double:
      out = r.readDoubleArray(count);
      break;
    case ReadKind.I64Number:
    case ReadKind.String:
    case ReadKind.Binary:
    case ReadKind.Struct:
    case ReadKind.List:
    case ReadKind.Map:
      out = readElements(r, element, count);
  }
  r.leave();
  return out;
}

function readElements(r: BinaryReader, element: ValuePlan, count: number): unknown[] {
  const out = new Array<unknown>(count);
  let i = 0;
  try {
    if (element.kind === ReadKind.String) {
      for (; i < count; i++) out[i] = r.readString();
    } else if (element.kind === ReadKind.Struct) {
      const struct = element.struct as StructPlanLike;
      for (; i < count; i++) out[i] = struct.read(r);
    } else {
      for (; i < count; i++) out[i] = readValue(r, element);
    }
  } catch (error) {
    if (error instanceof DecodeProblem) throw error.within(`[${i}]`);
    throw error;
  }
  return out;
}

/**
 * Reads a map whose keys and values `key` and `value` describe.
 *
 * @internal not covered by semver
 */
export function readMap(r: BinaryReader, key: ValuePlan, value: ValuePlan): Map<unknown, unknown> {
  r.enter();
  const keyType = r.readByte();
  const valueType = r.readByte();
  const count = r.readCount(elementBytes(keyType, key) + elementBytes(valueType, value));
  const out = new Map<unknown, unknown>();
  if (count > 0) {
    checkElementType(keyType, key, 'key');
    checkElementType(valueType, value, 'value');
    let i = 0;
    try {
      if (key.kind === ReadKind.String && value.kind === ReadKind.String) {
        for (; i < count; i++) {
          const k = r.readString();
          out.set(k, r.readString());
        }
      } else {
        for (; i < count; i++) {
          const k = readValue(r, key);
          out.set(k, readValue(r, value));
        }
      }
    } catch (error) {
      if (error instanceof DecodeProblem) throw error.within(`{entry ${i}}`);
      throw error;
    }
  }
  r.leave();
  return out;
}

/**
 * Compiles the writer and reader for `type`. `structPlanOf` supplies (possibly not yet
 * complete) plans for struct types, which is how recursive types work.
 *
 * @internal not covered by semver
 */
export function compileValuePlan(
  type: ThriftType,
  structPlanOf: (schema: StructSchema) => StructPlanLike,
): ValuePlan {
  switch (type.kind) {
    case 'bool':
      return BOOL;
    case 'byte':
      return BYTE;
    case 'i16':
      return I16;
    case 'i32':
      return I32;
    case 'i64':
      return type.asNumber === true ? I64_NUMBER : I64_BIGINT;
    case 'double':
      return DOUBLE;
    case 'string':
      return STRING;
    case 'binary':
      return BINARY;
    case 'enum':
      return ENUM;
    case 'struct':
      return structPlan(structPlanOf(type.struct));
    case 'list':
      return listPlan(compileValuePlan(type.element, structPlanOf), false);
    case 'set':
      return listPlan(compileValuePlan(type.element, structPlanOf), true);
    case 'map':
      return mapPlan(
        compileValuePlan(type.key, structPlanOf),
        compileValuePlan(type.value, structPlanOf),
      );
  }
}
