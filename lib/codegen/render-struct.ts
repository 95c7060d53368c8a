import { type FieldSchema, type StructSchema } from '../thrift/schema.js';
import { renderType } from './render-type.js';
import { exceptionFieldsName, propertyKey, quote, tsTypeName } from './ts-names.js';

/** Appends a one-line TSDoc comment. */
export function doc(lines: string[], text: string, indent = ''): void {
  lines.push(`${indent}/** ${text} */`);
}

/** True when a decoded value may lack the field (so its property is optional). */
export function isOptionalField(field: FieldSchema, inUnion: boolean): boolean {
  // Required and default fields are always present after decoding; default struct fields
  // (a nil pointer in Go) and optional ones may be absent.
  return (
    inUnion ||
    field.requiredness === 'optional' ||
    (field.requiredness === 'default' && field.type.kind === 'struct')
  );
}

function fieldLine(field: FieldSchema, inUnion: boolean): string {
  const optional = isOptionalField(field, inUnion);
  return `  ${propertyKey(field.name)}${optional ? '?' : ''}: ${renderType(field.type)};`;
}

function fieldDoc(field: FieldSchema): string {
  const requiredness = field.requiredness === 'default' ? '' : `${field.requiredness} `;
  return `${field.id}: ${requiredness}${field.name}`;
}

/** Members a generated exception class must not redeclare (RpcException's and Object's). */
const NOT_DECLARED = new Set([
  'constructor',
  'error',
  'getError',
  'initMessage',
  'thriftName',
  'toString',
  'valueOf',
  'toLocaleString',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
]);

/**
 * The `declare` line of an exception field in its class, or undefined when the field cannot be
 * a typed member: it clashes with a member of `ThriftException`, or it is Error's `name`,
 * `message` or `stack` with another type than string.
 */
function declareLine(field: FieldSchema): string | undefined {
  if (NOT_DECLARED.has(field.name)) return undefined;
  const type = renderType(field.type);
  let optional = isOptionalField(field, false);
  if (field.name === 'name' || field.name === 'message' || field.name === 'stack') {
    if (type !== 'string') return undefined;
    // Error always has a name and a message (a description when the field is unset).
    if (field.name !== 'stack') optional = false;
  }
  return `  declare ${propertyKey(field.name)}${optional ? '?' : ''}: ${type};`;
}

function renderFields(lines: string[], name: string, schema: StructSchema): void {
  if (schema.fields.length === 0) {
    lines.push(`export type ${name} = Record<string, never>;`, '');
    return;
  }
  lines.push(`export interface ${name} {`);
  for (const field of schema.fields) {
    doc(lines, fieldDoc(field), '  ');
    lines.push(fieldLine(field, schema.kind === 'union'));
  }
  lines.push('}', '');
}

/** A struct or union as an interface. */
export function renderStruct(lines: string[], schema: StructSchema): void {
  doc(
    lines,
    `${schema.kind} ${schema.name}${schema.kind === 'union' ? ' (set exactly one field)' : ''}`,
  );
  renderFields(lines, tsTypeName(schema.name), schema);
}

/**
 * An exception: its field values as `<Name>Fields` (what a struct field of this type holds),
 * and a `ThriftException` subclass named like it, to throw from a handler and to catch from a
 * client.
 */
export function renderException(lines: string[], schema: StructSchema): void {
  const name = tsTypeName(schema.name);
  const fields = exceptionFieldsName(schema.name);
  doc(lines, `exception ${schema.name}: its field values`);
  renderFields(lines, fields, schema);
  lines.push(
    '/**',
    ` * exception ${schema.name}, a \`ThriftException\`: a handler throws it for a method that`,
    ' * declares it in `throws`, and the client raises it. Field values are its own properties.',
    ' */',
    `export class ${name} extends ThriftException {`,
    `  static override readonly thriftName = ${quote(schema.name)};`,
  );
  for (const field of schema.fields) {
    const line = declareLine(field);
    if (line === undefined) continue;
    doc(lines, fieldDoc(field), '  ');
    lines.push(line);
  }
  lines.push(
    '',
    `  constructor(fields: Partial<${fields}> = {}) {`,
    '    super(fields);',
    '  }',
    '}',
    '',
  );
}
