import { type ConstValue, SyntaxType } from '@creditkarma/thrift-parser';
import { type ThriftType } from './schema.js';
import { cloneValue } from './zero-value.js';

/**
 * How {@link constValueFromAst} looks up identifiers (`Color.RED`, `OTHER_CONST`) and reports
 * problems.
 *
 * @internal not covered by semver
 */
export interface ConstContext {
  /** The value an identifier names (an enum member's number, a const's value), or undefined. */
  lookup(name: string): unknown;
  /** Throws an IDL error at `line`. */
  fail(line: number, problem: string): never;
}

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  byte: [-128n, 127n],
  i16: [-32768n, 32767n],
  i32: [-2147483648n, 2147483647n],
  enum: [-2147483648n, 2147483647n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * An IDL integer literal (decimal or hex, with an optional sign) as a bigint.
 *
 * @internal not covered by semver
 */
export function parseInteger(text: string): bigint {
  const negative = text.startsWith('-');
  const body = negative || text.startsWith('+') ? text.slice(1) : text;
  const magnitude = BigInt(body);
  return negative ? -magnitude : magnitude;
}

/**
 * Converts an IDL constant (a `const` initializer or a field default) to a value of the
 * codec's mapping for `type`: bigint for i64 (number when `asNumber`), Map for maps, arrays for
 * lists and sets, objects for structs, Uint8Array for binary.
 *
 * @internal not covered by semver
 */
export function constValueFromAst(node: ConstValue, type: ThriftType, ctx: ConstContext): unknown {
  const line = node.loc.start.line;
  if (node.type === SyntaxType.Identifier) {
    const value = ctx.lookup(node.value);
    if (value === undefined) ctx.fail(line, `unknown constant or enum value ${node.value}`);
    return cloneValue(value);
  }
  switch (type.kind) {
    case 'bool':
      if (node.type === SyntaxType.BooleanLiteral) return node.value;
      if (node.type === SyntaxType.IntConstant) return parseInteger(node.value.value) !== 0n;
      break;
    case 'byte':
    case 'i16':
    case 'i32':
    case 'i64':
    case 'enum': {
      if (node.type !== SyntaxType.IntConstant) break;
      const n = parseInteger(node.value.value);
      const [min, max] = INT_RANGES[type.kind] as readonly [bigint, bigint];
      if (n < min || n > max)
        ctx.fail(line, `${node.value.value} is out of range for ${type.kind}`);
      if (type.kind === 'i64' && type.asNumber !== true) return n;
      if (!Number.isSafeInteger(Number(n)))
        ctx.fail(line, `${node.value.value} is not a safe integer`);
      return Number(n);
    }
    case 'double':
      if (node.type === SyntaxType.IntConstant) return Number(parseInteger(node.value.value));
      if (node.type === SyntaxType.DoubleConstant) return Number(node.value.value);
      break;
    case 'string':
      if (node.type === SyntaxType.StringLiteral) return node.value;
      break;
    case 'binary':
      if (node.type === SyntaxType.StringLiteral) return new TextEncoder().encode(node.value);
      break;
    case 'list':
    case 'set':
      if (node.type === SyntaxType.ConstList) {
        return node.elements.map((e) => constValueFromAst(e, type.element, ctx));
      }
      break;
    case 'map':
      if (node.type === SyntaxType.ConstMap) {
        return new Map(
          node.properties.map((p) => [
            constValueFromAst(p.name, type.key, ctx),
            constValueFromAst(p.initializer, type.value, ctx),
          ]),
        );
      }
      break;
    case 'struct':
      if (node.type === SyntaxType.ConstMap) {
        const out: Record<string, unknown> = {};
        for (const p of node.properties) {
          if (p.name.type !== SyntaxType.StringLiteral) {
            ctx.fail(
              p.loc.start.line,
              `a ${type.struct.name} constant needs field names as strings`,
            );
          }
          const name = p.name.value;
          const field = type.struct.fields.find((f) => f.name === name);
          if (field === undefined) {
            ctx.fail(p.loc.start.line, `${type.struct.name} has no field ${name}`);
          }
          out[field.name] = constValueFromAst(p.initializer, field.type, ctx);
        }
        return out;
      }
      break;
  }
  return ctx.fail(line, `a ${node.type} constant cannot be a ${typeLabel(type)}`);
}

function typeLabel(type: ThriftType): string {
  if (type.kind === 'struct') return type.struct.name;
  if (type.kind === 'enum') return type.enum.name;
  return type.kind;
}
