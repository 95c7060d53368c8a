import { type FieldSchema } from '../thrift/schema.js';
import {
  type MethodDescriptor,
  type ServiceDescriptor,
  type StreamingMethodDescriptor,
  type UnaryMethodDescriptor,
} from '../thrift/thrift-idl.js';
import { doc, isOptionalField } from './render-struct.js';
import { renderType } from './render-type.js';
import { propertyKey, quote, screamingSnake, tsTypeName } from './ts-names.js';

function requestParam(method: StreamingMethodDescriptor): string {
  const request = tsTypeName(method.requestType.name);
  return method.mode === 'server' ? `request: ${request}` : `requests: Observable<${request}>`;
}

/** `{ a: string; b?: Inner }`: the args object of a method without exactly one parameter. */
function argsType(params: readonly FieldSchema[]): string {
  if (params.length === 0) return 'Record<string, never>';
  const fields = params.map(
    (p) => `${propertyKey(p.name)}${isOptionalField(p, false) ? '?' : ''}: ${renderType(p.type)}`,
  );
  return `{ ${fields.join('; ')} }`;
}

/** The payload parameter: the only parameter's value, else the args object. */
function unaryParam(method: UnaryMethodDescriptor, forClient: boolean): string {
  const [only] = method.params;
  if (method.params.length === 1 && only !== undefined) return `request: ${renderType(only.type)}`;
  // No parameters: the client may pass nothing (the options argument still comes second).
  return method.params.length === 0 && forClient
    ? `args?: ${argsType(method.params)}`
    : `args: ${argsType(method.params)}`;
}

function unaryResult(method: UnaryMethodDescriptor): string {
  return method.returnType === undefined ? 'void' : renderType(method.returnType);
}

function unaryDoc(method: UnaryMethodDescriptor, role: 'client' | 'handler'): string {
  if (method.oneway) {
    return role === 'client'
      ? 'oneway: nothing comes back; completes once the call is written'
      : 'oneway (`@EventPattern`): nothing is sent back';
  }
  const throws = method.throws.map((t) => tsTypeName(t.struct.name)).join(', ');
  const reply = method.returnsVoid
    ? 'unary: the reply carries no value'
    : 'unary: emits the one reply';
  const head = role === 'client' ? reply : 'unary (`@MessagePattern`)';
  if (throws === '') return head;
  return role === 'client' ? `${head}; may fail with ${throws}` : `${head}; may throw ${throws}`;
}

function isStreaming(m: MethodDescriptor): m is StreamingMethodDescriptor {
  return m.mode !== 'unary';
}

/**
 * A service's name constant, its patterns, a client interface and a handler interface, with
 * streaming, unary and oneway methods (each documented as such).
 */
export function renderService(lines: string[], service: ServiceDescriptor): void {
  const name = tsTypeName(service.name);
  const upper = screamingSnake(service.name);
  const methods = [...service.methods.values()];
  doc(lines, `The name of service ${service.name}, as Kitex sends it.`);
  lines.push(`export const ${upper}_NAME = ${quote(service.name)};`, '');
  lines.push(
    '/**',
    ` * Message patterns of ${service.name}'s methods, for \`@StreamPattern\` (streaming),`,
    ' * `@MessagePattern` (unary) and `@EventPattern` (oneway).',
    ' */',
  );
  lines.push(`export const ${name}Patterns = {`);
  for (const m of methods) {
    lines.push(`  ${propertyKey(m.name)}: ${quote(`${service.name}.${m.name}`)},`);
  }
  lines.push('} as const;', '');
  doc(lines, `A typed client of ${service.name}.`);
  lines.push(`export interface ${name}Client {`);
  for (const m of methods) {
    if (isStreaming(m)) {
      doc(lines, `${m.mode} streaming`, '  ');
      lines.push(
        `  ${propertyKey(m.name)}(${requestParam(m)}): Observable<${tsTypeName(m.responseType.name)}>;`,
      );
    } else {
      doc(lines, unaryDoc(m, 'client'), '  ');
      const result = m.oneway ? 'void' : unaryResult(m);
      lines.push(`  ${propertyKey(m.name)}(${unaryParam(m, true)}): Observable<${result}>;`);
    }
  }
  lines.push('}', '');
  doc(lines, `What a controller serving ${service.name} implements.`);
  lines.push(`export interface ${name}Handler {`);
  for (const m of methods) {
    const [param, result, text] = isStreaming(m)
      ? [requestParam(m), tsTypeName(m.responseType.name), `${m.mode} streaming`]
      : [unaryParam(m, false), unaryResult(m), unaryDoc(m, 'handler')];
    doc(lines, text, '  ');
    lines.push(
      `  ${propertyKey(m.name)}(${param}, ...context: unknown[]): TTStreamHandlerResult<${result}>;`,
    );
  }
  lines.push('}', '');
}
