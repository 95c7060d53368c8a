import { type BinaryReader } from './binary-reader.js';
import { type BinaryWriter } from './binary-writer.js';
import { DecodeProblem } from './decode-problem.js';
import { EncodeProblem } from './encode-problem.js';
import { type FieldSchema, kitexFieldOrder, type StructSchema } from './schema.js';
import { skipField } from './skip.js';
import { TType } from './ttype.js';
import { compileStructReader } from './struct-reader-compiler.js';
import { compileValuePlan, readValue, type StructPlanLike, type ValuePlan } from './value-plan.js';
import { cloneValue, isImmutable, zeroValue } from './zero-value.js';

interface FieldPlan {
  readonly id: number;
  readonly name: string;
  readonly ttype: number;
  readonly value: ValuePlan;
  readonly required: boolean;
  readonly optional: boolean;
  /** What an unset default-requiredness field is written as; undefined for a nil struct. */
  readonly encodeFallback: unknown;
  /** Gives an absent field its IDL default or zero value on decode; undefined leaves it out. */
  readonly decodeFallback: (() => unknown) | undefined;
  /**
   * For an optional scalar field with an IDL default: true when a value equals the default,
   * which Kitex-generated Go code then leaves out (its IsSet compares with the default).
   */
  readonly isDefault: ((value: unknown) => boolean) | undefined;
  /** This field's bit in `StructPlan.allChecked` (0 when it has none). */
  checkBit: number;
}

const SCALAR_KINDS: ReadonlySet<string> = new Set([
  'bool',
  'byte',
  'i16',
  'i32',
  'i64',
  'double',
  'string',
  'enum',
]);

function sameBytes(a: unknown, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function defaultTest(field: FieldSchema): ((value: unknown) => boolean) | undefined {
  const d = field.defaultValue;
  if (field.requiredness !== 'optional' || d === undefined) return undefined;
  if (field.type.kind === 'binary' && d instanceof Uint8Array) return (v) => sameBytes(v, d);
  if (!SCALAR_KINDS.has(field.type.kind)) return undefined;
  // i64 defaults may be bigint while the value is a number (or the reverse).
  if (typeof d === 'bigint') return (v) => v === d || (typeof v === 'number' && BigInt(v) === d);
  if (field.type.kind === 'i64' && typeof d === 'number') {
    return (v) => v === d || (typeof v === 'bigint' && v === BigInt(d));
  }
  return (v) => v === d;
}

/** Ids up to this are looked up in an array; others (and negative ids) in a Map. */
const DENSE_ID_LIMIT = 1024;

/**
 * The precompiled encoder and decoder of one struct, union or exception: fields in Kitex's
 * write order, a field-id lookup table, and the per-field fallbacks.
 *
 * @internal not covered by semver
 */
export class StructPlan implements StructPlanLike {
  readonly schema: StructSchema;
  private writeOrder: readonly FieldPlan[] = [];
  private dense: (FieldPlan | undefined)[] = [];
  private sparse = new Map<number, FieldPlan>();
  /** Fields whose absence after decoding needs action (required, or with a fallback). */
  private checkAfterRead: readonly FieldPlan[] = [];
  /**
   * The bits of all `checkAfterRead` fields: when a decode has seen every one of them, the
   * check after reading is skipped. -1 (never matched) when there are too many for the bits.
   */
  private allChecked = 0;
  private readonly isUnion: boolean;
  private readonly compileReaders: boolean;

  /**
   * Decodes one struct. The reader compiled for this struct's fields when code generation is
   * allowed and wanted, else {@link interpret}; an own property, so callers make one call.
   */
  read: (r: BinaryReader) => Record<string, unknown> = (r) => this.interpret(r);

  private constructor(schema: StructSchema, compileReaders: boolean) {
    this.schema = schema;
    this.isUnion = schema.kind === 'union';
    this.compileReaders = compileReaders;
  }

  /**
   * The plan for `schema`, compiled once and cached. `compileReaders: false` keeps this plan and
   * the plans of the structs it contains on the interpreting decoder.
   */
  static of(schema: StructSchema, compileReaders = true): StructPlan {
    const cache = compileReaders ? compiledCache : interpretedCache;
    let plan = cache.get(schema);
    if (plan === undefined) {
      plan = new StructPlan(schema, compileReaders);
      cache.set(schema, plan); // before compiling, so recursive types find it
      plan.compile();
    }
    return plan;
  }

  private compile(): void {
    const byDeclaration = this.schema.fields.map((f) => this.compileField(f));
    const byName = new Map(byDeclaration.map((p) => [p.name, p]));
    this.writeOrder = kitexFieldOrder(this.schema.fields).map(
      (f) => byName.get(f.name) as FieldPlan,
    );
    for (const p of byDeclaration) {
      if (p.id >= 0 && p.id < DENSE_ID_LIMIT) this.dense[p.id] = p;
      else this.sparse.set(p.id, p);
    }
    this.checkAfterRead = byDeclaration.filter((p) => p.required || p.decodeFallback !== undefined);
    if (this.checkAfterRead.length <= 30) {
      this.checkAfterRead.forEach((p, i) => {
        p.checkBit = 1 << i;
        this.allChecked |= p.checkBit;
      });
    } else {
      this.allChecked = -1;
    }
    if (this.compileReaders) {
      const compiled = compileStructReader(byDeclaration, this.allChecked, (out) => {
        this.fillAbsent(out);
      });
      if (compiled !== undefined) this.read = compiled;
    }
  }

  private compileField(field: FieldSchema): FieldPlan {
    if (field.name === '__proto__') {
      throw new TypeError(`${this.schema.name}: a field cannot be named __proto__`);
    }
    const value = compileValuePlan(field.type, (s) => StructPlan.of(s, this.compileReaders));
    const isUnion = this.schema.kind === 'union';
    const required = field.requiredness === 'required' && !isUnion;
    const optional = field.requiredness === 'optional' || isUnion;
    const fallback = field.defaultValue !== undefined ? field.defaultValue : zeroValue(field.type);
    let decodeFallback: (() => unknown) | undefined;
    if (!required && !isUnion && (!optional || field.defaultValue !== undefined)) {
      if (fallback !== undefined) {
        decodeFallback = isImmutable(fallback) ? () => fallback : () => cloneValue(fallback);
      }
    }
    return {
      id: field.id,
      name: field.name,
      ttype: value.ttype,
      value,
      required,
      optional,
      encodeFallback: fallback,
      decodeFallback,
      isDefault: isUnion ? undefined : defaultTest(field),
      checkBit: 0,
    };
  }

  write(w: BinaryWriter, obj: object): void {
    const record = obj as Record<string, unknown>;
    const fields = this.writeOrder;
    let set = 0;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as FieldPlan;
      let v = record[f.name];
      if (v === undefined || v === null) {
        if (f.optional) continue;
        if (f.required) throw new EncodeProblem('required field is not set').within(`.${f.name}`);
        v = f.encodeFallback;
        if (v === undefined) {
          // A nil struct pointer in Go: Kitex writes an empty struct.
          w.writeFieldHeader(TType.Struct, f.id);
          w.writeByte(TType.Stop);
          continue;
        }
      }
      if (f.isDefault?.(v) === true) continue;
      set++;
      w.writeFieldHeader(f.ttype, f.id);
      try {
        f.value.write(w, v);
      } catch (error) {
        if (error instanceof EncodeProblem) throw error.within(`.${f.name}`);
        throw error;
      }
    }
    if (this.isUnion && set !== 1) {
      throw new EncodeProblem(`a union needs exactly one field set, got ${set}`);
    }
    w.writeByte(TType.Stop);
  }

  /** The schema-interpreting decoder: looks each field id up in a table. */
  private interpret(r: BinaryReader): Record<string, unknown> {
    r.enter();
    const out: Record<string, unknown> = {};
    const dense = this.dense;
    let seen = 0;
    // One try around the loop (not one per field): `f` says which field failed.
    let f: FieldPlan | undefined;
    try {
      for (;;) {
        f = undefined;
        const type = r.readByte();
        if (type === TType.Stop) break;
        const id = r.readI16();
        const g = id >= 0 && id < dense.length ? dense[id] : this.sparse.get(id);
        if (g !== undefined && g.ttype === type) {
          f = g;
          out[g.name] = readValue(r, g.value);
          seen |= g.checkBit;
        } else {
          // Unknown field, or a known id with another type: skip it, as Kitex does.
          skipField(r, type, id);
        }
      }
    } catch (error) {
      if (f !== undefined && error instanceof DecodeProblem) throw error.within(`.${f.name}`);
      throw error;
    }
    r.leave();
    if (seen !== this.allChecked) this.fillAbsent(out);
    return out;
  }

  /** Gives absent fields their fallback, or throws for a missing required one. */
  private fillAbsent(out: Record<string, unknown>): void {
    const check = this.checkAfterRead;
    for (let i = 0; i < check.length; i++) {
      const f = check[i] as FieldPlan;
      if (out[f.name] !== undefined) continue;
      if (f.required) {
        throw new DecodeProblem('required field is missing').within(`.${f.name}`);
      }
      out[f.name] = (f.decodeFallback as () => unknown)();
    }
  }
}

const compiledCache = new WeakMap<StructSchema, StructPlan>();
const interpretedCache = new WeakMap<StructSchema, StructPlan>();
