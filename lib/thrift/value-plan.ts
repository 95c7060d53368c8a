import { type BinaryReader } from './binary-reader.js';
import { type BinaryWriter } from './binary-writer.js';
import { DecodeProblem } from './decode-problem.js';
import { EncodeProblem } from './encode-problem.js';
import { type StructSchema, type ThriftType } from './schema.js';
import { minValueBytes } from './skip.js';
import { TType, ttypeName } from './ttype.js';

/**
 * A precompiled writer and reader for one Thrift type.
 *
 * @internal not covered by semver
 */
export interface ValuePlan {
  /** The wire type id. */
  readonly ttype: TType;
  /** The fewest bytes a value takes on the wire (for container count checks). */
  readonly minBytes: number;
  /** Validates and writes `value`; throws an `EncodeProblem` on a bad value. */
  write(writer: BinaryWriter, value: unknown): void;
  /** Reads one value; throws a `DecodeProblem` on bad bytes. */
  read(reader: BinaryReader): unknown;
  /**
   * Reads `count` values whose bytes the caller has already checked are there (fixed-width
   * types only, whose size equals `minBytes`), without a per-element bounds check.
   */
  readArray?(reader: BinaryReader, count: number): unknown[];
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

const BOOL: ValuePlan = {
  ttype: TType.Bool,
  minBytes: 1,
  write(w, v) {
    if (typeof v !== 'boolean') throw expected('a boolean', v);
    w.writeByte(v ? 1 : 0);
  },
  read: (r) => r.readByte() !== 0,
  readArray: (r, count) => r.readBoolArray(count),
};

const BYTE: ValuePlan = {
  ttype: TType.Byte,
  minBytes: 1,
  write(w, v) {
    if (typeof v !== 'number' || (v << 24) >> 24 !== v)
      throw expected('an integer in -128..127', v);
    w.writeByte(v & 0xff);
  },
  read: (r) => r.readI8(),
  readArray: (r, count) => r.readI8Array(count),
};

const I16: ValuePlan = {
  ttype: TType.I16,
  minBytes: 2,
  write(w, v) {
    if (typeof v !== 'number' || (v << 16) >> 16 !== v) throw expected('an i16 integer', v);
    w.writeI16(v);
  },
  read: (r) => r.readI16(),
  readArray: (r, count) => r.readI16Array(count),
};

function writeI32(w: BinaryWriter, v: unknown, what: string): void {
  if (typeof v !== 'number' || (v | 0) !== v) throw expected(what, v);
  w.writeI32(v);
}

const I32: ValuePlan = {
  ttype: TType.I32,
  minBytes: 4,
  write: (w, v) => {
    writeI32(w, v, 'an i32 integer');
  },
  read: (r) => r.readI32(),
  readArray: (r, count) => r.readI32Array(count),
};

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

const I64_BIGINT: ValuePlan = {
  ttype: TType.I64,
  minBytes: 8,
  write: writeI64,
  read: (r) => r.readI64(),
  readArray: (r, count) => r.readI64Array(count),
};

const I64_NUMBER: ValuePlan = {
  ttype: TType.I64,
  minBytes: 8,
  write: writeI64,
  read: (r) => r.readI64Number(),
};

const DOUBLE: ValuePlan = {
  ttype: TType.Double,
  minBytes: 8,
  write(w, v) {
    if (typeof v !== 'number') throw expected('a number', v);
    w.writeDouble(v);
  },
  read: (r) => r.readDouble(),
  readArray: (r, count) => r.readDoubleArray(count),
};

const STRING: ValuePlan = {
  ttype: TType.String,
  minBytes: 4,
  write(w, v) {
    if (typeof v !== 'string') throw expected('a string', v);
    w.writeString(v);
  },
  read: (r) => r.readString(),
};

const BINARY: ValuePlan = {
  ttype: TType.String,
  minBytes: 4,
  write(w, v) {
    if (!(v instanceof Uint8Array)) throw expected('a Uint8Array', v);
    w.writeBinary(v);
  },
  read: (r) => r.readBinary(),
};

const ENUM: ValuePlan = {
  ttype: TType.I32,
  minBytes: 4,
  write: (w, v) => {
    writeI32(w, v, 'an enum value (i32)');
  },
  read: (r) => r.readI32(),
  readArray: (r, count) => r.readI32Array(count),
};

function structPlan(plan: StructPlanLike): ValuePlan {
  return {
    ttype: TType.Struct,
    minBytes: 1,
    write(w, v) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Map) {
        throw expected('an object', v);
      }
      plan.write(w, v);
    },
    read: (r) => plan.read(r),
  };
}

/** Checks a non-empty container's element type is what the schema says. */
function checkElementType(type: number, plan: ValuePlan, role: string): void {
  if (type !== plan.ttype) {
    throw new DecodeProblem(
      `${role} type ${ttypeName(type)} does not match the schema's ${ttypeName(plan.ttype)}`,
    );
  }
}

function listPlan(element: ValuePlan, isSet: boolean): ValuePlan {
  const ttype = isSet ? TType.Set : TType.List;
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
  return {
    ttype,
    minBytes: 5,
    write(w, v) {
      if (Array.isArray(v)) writeArray(w, v);
      else if (isSet && v instanceof Set) writeArray(w, [...(v as Set<unknown>)]);
      else throw expected(what, v);
    },
    read(r) {
      r.enter();
      const type = r.readByte();
      const size = minValueBytes(type);
      const count = r.readCount(size ?? 1);
      // An empty container may carry any element type (some writers put 0 there).
      if (count > 0) checkElementType(type, element, 'element');
      if (element.readArray !== undefined) {
        const values = element.readArray(r, count);
        r.leave();
        return values;
      }
      const out = new Array<unknown>(count);
      for (let i = 0; i < count; i++) {
        try {
          out[i] = element.read(r);
        } catch (error) {
          if (error instanceof DecodeProblem) throw error.within(`[${i}]`);
          throw error;
        }
      }
      r.leave();
      return out;
    },
  };
}

function mapPlan(key: ValuePlan, value: ValuePlan): ValuePlan {
  return {
    ttype: TType.Map,
    minBytes: 6,
    write(w, v) {
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
    read(r) {
      r.enter();
      const keyType = r.readByte();
      const valueType = r.readByte();
      const count = r.readCount((minValueBytes(keyType) ?? 1) + (minValueBytes(valueType) ?? 1));
      const out = new Map<unknown, unknown>();
      if (count > 0) {
        checkElementType(keyType, key, 'key');
        checkElementType(valueType, value, 'value');
        for (let i = 0; i < count; i++) {
          try {
            const k = key.read(r);
            out.set(k, value.read(r));
          } catch (error) {
            if (error instanceof DecodeProblem) throw error.within(`{entry ${i}}`);
            throw error;
          }
        }
      }
      r.leave();
      return out;
    },
  };
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
