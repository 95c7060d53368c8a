import { idlToDocument } from '../thrift/idl-document.js';
import { type FieldSchema, type StructSchema } from '../thrift/schema.js';
import {
  type MethodDescriptor,
  type ServiceDescriptor,
  type ThriftIdl,
} from '../thrift/thrift-idl.js';
import { renderType } from './render-type.js';
import { renderValue } from './render-value.js';
import { propertyKey, quote, screamingSnake, tsTypeName } from './ts-names.js';

/** Options for {@link generateTypeScript}. */
export interface GenerateTypeScriptOptions {
  /** The IDL file name shown in the header and stored in the schema. Default: its base name. */
  readonly sourceName?: string;
  /** The name of the exported schema constant. Default: `<FILE>_IDL` (`ECHO_IDL`). */
  readonly schemaConstName?: string;
}

function baseName(fileName: string): string {
  return fileName.split(/[\\/]/).pop() ?? fileName;
}

function doc(lines: string[], text: string, indent = ''): void {
  lines.push(`${indent}/** ${text} */`);
}

function fieldLine(field: FieldSchema, inUnion: boolean): string {
  // Required and default fields are always present after decoding; default struct fields
  // (a nil pointer in Go) and optional ones may be absent.
  const optional =
    inUnion ||
    field.requiredness === 'optional' ||
    (field.requiredness === 'default' && field.type.kind === 'struct');
  return `  ${propertyKey(field.name)}${optional ? '?' : ''}: ${renderType(field.type)};`;
}

function renderStruct(lines: string[], schema: StructSchema): void {
  const name = tsTypeName(schema.name);
  doc(
    lines,
    `${schema.kind} ${schema.name}${schema.kind === 'union' ? ' (set exactly one field)' : ''}`,
  );
  if (schema.fields.length === 0) {
    lines.push(`export type ${name} = Record<string, never>;`, '');
    return;
  }
  lines.push(`export interface ${name} {`);
  for (const field of schema.fields) {
    const requiredness = field.requiredness === 'default' ? '' : `${field.requiredness} `;
    doc(lines, `${field.id}: ${requiredness}${field.name}`, '  ');
    lines.push(fieldLine(field, schema.kind === 'union'));
  }
  lines.push('}', '');
}

function requestParam(
  method: MethodDescriptor & { mode: 'bidirectional' | 'client' | 'server' },
): string {
  const request = tsTypeName(method.requestType.name);
  return method.mode === 'server' ? `request: ${request}` : `requests: Observable<${request}>`;
}

function renderService(lines: string[], service: ServiceDescriptor): void {
  const name = tsTypeName(service.name);
  const upper = screamingSnake(service.name);
  const streaming = [...service.methods.values()].filter(
    (m): m is MethodDescriptor & { mode: 'bidirectional' | 'client' | 'server' } =>
      m.mode !== 'unary',
  );
  const unary = [...service.methods.values()].filter((m) => m.mode === 'unary');
  doc(lines, `The name of service ${service.name}, as Kitex sends it.`);
  lines.push(`export const ${upper}_NAME = ${quote(service.name)};`, '');
  doc(lines, `Message patterns of ${service.name}'s streaming methods (\`@StreamPattern\`).`);
  lines.push(`export const ${name}Patterns = {`);
  for (const m of streaming)
    lines.push(`  ${propertyKey(m.name)}: ${quote(`${service.name}.${m.name}`)},`);
  lines.push('} as const;', '');
  const unaryNote = unary.map((m) => m.name).join(', ');
  doc(
    lines,
    `A typed client of ${service.name}.${unary.length > 0 ? ` Unary methods (${unaryNote}) are not served over TTHeader Streaming and are left out.` : ''}`,
  );
  lines.push(`export interface ${name}Client {`);
  for (const m of streaming) {
    doc(lines, `${m.mode} streaming`, '  ');
    lines.push(
      `  ${propertyKey(m.name)}(${requestParam(m)}): Observable<${tsTypeName(m.responseType.name)}>;`,
    );
  }
  lines.push('}', '');
  doc(lines, `What a controller serving ${service.name} implements.`);
  lines.push(`export interface ${name}Handler {`);
  for (const m of streaming) {
    doc(lines, `${m.mode} streaming`, '  ');
    lines.push(
      `  ${propertyKey(m.name)}(${requestParam(m)}, ...context: unknown[]): TTStreamHandlerResult<${tsTypeName(m.responseType.name)}>;`,
    );
  }
  lines.push('}', '');
}

/**
 * TypeScript source for an IDL: interfaces for structs, unions and exceptions, `as const`
 * objects plus types for enums, type aliases for typedefs, constants, and for each service of
 * the root file a name constant, pattern constants, a client interface (server streaming takes
 * a request and returns `Observable<Response>`; client and bidirectional streaming take
 * `Observable<Request>`) and a handler interface. It ends with the schema as data
 * (`ECHO_IDL`), which `createIdlFromDocument` turns into the same codecs the IDL gives.
 *
 * Pure: the caller reads the IDL and writes the file.
 */
export function generateTypeScript(
  idl: ThriftIdl,
  options: GenerateTypeScriptOptions = {},
): string {
  const sourceName = options.sourceName ?? baseName(idl.fileName);
  const constName =
    options.schemaConstName ?? `${screamingSnake(sourceName.replace(/\.thrift$/, ''))}_IDL`;
  const rootServices = [...idl.services.values()].filter((s) => !s.name.includes('.'));
  const lines: string[] = [
    `// Code generated by \`nestjs-ttstream gen\` from ${sourceName}. DO NOT EDIT.`,
  ];
  const hasStreaming = rootServices.some((s) =>
    [...s.methods.values()].some((m) => m.mode !== 'unary'),
  );
  if (hasStreaming) {
    lines.push("import type { Observable } from 'rxjs';");
  }
  lines.push('');
  for (const e of idl.enums.values()) {
    const name = tsTypeName(e.name);
    doc(lines, `enum ${e.name}`);
    lines.push(`export const ${name} = {`);
    for (const m of e.members) lines.push(`  ${propertyKey(m.name)}: ${m.value},`);
    lines.push('} as const;');
    doc(lines, `A value of enum ${e.name} (peers may send other i32 values).`);
    lines.push(
      e.members.length === 0
        ? `export type ${name} = number;`
        : `export type ${name} = (typeof ${name})[keyof typeof ${name}];`,
      '',
    );
  }
  for (const [alias, type] of idl.typedefs) {
    doc(lines, `typedef ${alias}`);
    lines.push(`export type ${tsTypeName(alias)} = ${renderType(type)};`, '');
  }
  for (const schema of idl.structs.values()) renderStruct(lines, schema);
  for (const c of idl.consts.values()) {
    doc(lines, `const ${c.name}`);
    lines.push(
      `export const ${tsTypeName(c.name)}: ${renderType(c.type)} = ${renderValue(c.value)};`,
      '',
    );
  }
  if (hasStreaming) {
    doc(lines, 'What a handler may return: an Observable, an AsyncIterable, a Promise or a value.');
    lines.push(
      'export type TTStreamHandlerResult<T> = Observable<T> | AsyncIterable<T> | Promise<T> | T;',
      '',
    );
  }
  for (const service of rootServices) renderService(lines, service);
  const schemaDoc = { ...idlToDocument(idl), fileName: sourceName };
  doc(lines, `The schemas of ${sourceName} as data, for \`createIdlFromDocument\`.`);
  lines.push(`export const ${constName} = ${renderValue(schemaDoc)} as const;`, '');
  return lines.join('\n');
}
