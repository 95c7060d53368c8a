import { type BinaryReader } from './binary-reader.js';
import { DecodeProblem } from './decode-problem.js';
import { TType, ttypeName } from './ttype.js';

/**
 * The fewest bytes one value of a wire type takes, used to reject a container count the
 * remaining input cannot hold before looping over it. Undefined for ids that are not value
 * types.
 *
 * @internal not covered by semver
 */
export function minValueBytes(type: number): number | undefined {
  switch (type) {
    case TType.Bool:
    case TType.Byte:
    case TType.Struct: // just STOP
      return 1;
    case TType.I16:
      return 2;
    case TType.I32:
    case TType.String:
      return 4;
    case TType.I64:
    case TType.Double:
      return 8;
    case TType.Set:
    case TType.List:
      return 5;
    case TType.Map:
      return 6;
    default:
      return undefined;
  }
}

/** The minimum size of `type`, or a problem naming the invalid type. */
export function requireValueType(type: number): number {
  const size = minValueBytes(type);
  if (size === undefined) throw new DecodeProblem(`invalid element type ${ttypeName(type)}`);
  return size;
}

/**
 * Moves the reader past one value of wire type `type` (an unknown field), checking lengths and
 * nesting as a real decode would.
 *
 * @internal not covered by semver
 */
export function skipValue(reader: BinaryReader, type: number): void {
  switch (type) {
    case TType.Bool:
    case TType.Byte:
      reader.skipBytes(1);
      return;
    case TType.I16:
      reader.skipBytes(2);
      return;
    case TType.I32:
      reader.skipBytes(4);
      return;
    case TType.I64:
    case TType.Double:
      reader.skipBytes(8);
      return;
    case TType.String:
      reader.skipBytes(reader.readLength());
      return;
    case TType.Struct:
      reader.enter();
      for (;;) {
        const fieldType = reader.readByte();
        if (fieldType === TType.Stop) break;
        reader.skipBytes(2);
        skipValue(reader, fieldType);
      }
      reader.leave();
      return;
    case TType.Map: {
      reader.enter();
      const keyType = reader.readByte();
      const valueType = reader.readByte();
      const count = reader.readCount(requireValueType(keyType) + requireValueType(valueType));
      for (let i = 0; i < count; i++) {
        skipValue(reader, keyType);
        skipValue(reader, valueType);
      }
      reader.leave();
      return;
    }
    case TType.Set:
    case TType.List: {
      reader.enter();
      const elementType = reader.readByte();
      const count = reader.readCount(requireValueType(elementType));
      for (let i = 0; i < count; i++) skipValue(reader, elementType);
      reader.leave();
      return;
    }
    default:
      throw new DecodeProblem(`invalid field type ${ttypeName(type)}`);
  }
}

/**
 * Skips an unknown field (or a known id with another type), naming it in any problem.
 *
 * @internal not covered by semver
 */
export function skipField(r: BinaryReader, type: number, id: number): void {
  try {
    skipValue(r, type);
  } catch (error) {
    if (error instanceof DecodeProblem) throw error.within(`.<field ${id}>`);
    throw error;
  }
}
