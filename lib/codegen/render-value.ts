import { propertyKey, quote } from './ts-names.js';

function renderNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

/**
 * A TypeScript expression that evaluates to `value`: primitives (bigint as `1n`, NaN, -0),
 * arrays, `Map`s, `Uint8Array`s and plain objects, indented by `indent` for nested lines.
 */
export function renderValue(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return renderNumber(value);
    case 'bigint':
      return `${value.toString()}n`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'object':
      break;
    case 'symbol':
    case 'function':
      throw new TypeError(`cannot render a ${typeof value} as a constant`);
  }
  if (value instanceof Uint8Array) return `new Uint8Array([${value.join(', ')}])`;
  if (value instanceof Map) {
    if (value.size === 0) return 'new Map()';
    const entries = [...(value as Map<unknown, unknown>)].map(
      ([k, v]) => `${inner}[${renderValue(k, inner)}, ${renderValue(v, inner)}],`,
    );
    return `new Map([\n${entries.join('\n')}\n${indent}])`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => `${inner}${renderValue(v, inner)},`);
    return `[\n${items.join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => `${inner}${propertyKey(k)}: ${renderValue(v, inner)},`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}
