import {
  type FieldDefinition,
  type FunctionDefinition,
  type FunctionType,
  SyntaxType,
} from '@creditkarma/thrift-parser';
import { annotationsFromAst } from './idl-annotations.js';
import { type FieldSchema, type ThriftType } from './schema.js';
import {
  createMethodDescriptor,
  type MethodDescriptor,
  STREAMING_MODES,
  type StreamingMode,
} from './thrift-idl.js';
import { SUCCESS_FIELD } from './unary-structs.js';

/** What {@link methodFromAst} needs from the IDL loader, bound to the file being read. */
export interface MethodAstScope {
  /** The service's name, qualified like every name of the loaded IDL. */
  readonly service: string;
  /** Resolves a type written in the file. */
  readonly resolveType: (node: FunctionType) => ThriftType;
  /** A field schema (parameter or `throws` entry) with the given id. */
  readonly field: (node: FieldDefinition, id: number) => FieldSchema;
  /** Throws the loader's error for a line of the file. */
  readonly fail: (line: number, problem: string) => never;
}

/**
 * The descriptor of one `service` function: its streaming mode from `streaming.mode`, and
 * for a unary or oneway method its parameters, return type and `throws`.
 *
 * Checks (each a loader error with the line): a known `streaming.mode`; a streaming method has
 * exactly one struct argument and a struct result; parameter and `throws` ids and names are
 * unique; `throws` types are exceptions; a oneway method returns void and throws nothing.
 *
 * @internal not covered by semver
 */
export function methodFromAst(fn: FunctionDefinition, scope: MethodAstScope): MethodDescriptor {
  const line = fn.loc.start.line;
  const name = fn.name.value;
  const label = `${scope.service}.${name}`;
  const annotations = annotationsFromAst(fn.annotations);
  const modeText = annotations['streaming.mode'];
  const mode = (modeText ?? 'unary') as StreamingMode;
  if (!STREAMING_MODES.includes(mode)) {
    scope.fail(
      line,
      `method ${label}: unknown streaming.mode "${String(modeText)}" (expected bidirectional, client, server or unary)`,
    );
  }
  const params = fieldsOf(fn.fields, 'parameter', label, scope);
  const returnType =
    fn.returnType.type === SyntaxType.VoidKeyword ? undefined : scope.resolveType(fn.returnType);
  const base = { name, service: scope.service, annotations };
  if (mode !== 'unary') {
    if (params.length !== 1) {
      scope.fail(
        line,
        `streaming method ${label} must have exactly one argument, has ${params.length}`,
      );
    }
    const request = params[0]?.type;
    if (request?.kind !== 'struct') {
      scope.fail(line, `streaming method ${label}: the argument must be a struct`);
    }
    if (returnType?.kind !== 'struct') {
      scope.fail(line, `streaming method ${label}: the result must be a struct`);
    }
    return createMethodDescriptor({
      ...base,
      mode,
      requestType: request.struct,
      responseType: returnType.struct,
    });
  }
  const throws = fieldsOf(fn.throws, 'throws field', label, scope);
  for (const t of throws) {
    if (t.type.kind !== 'struct' || t.type.struct.kind !== 'exception') {
      scope.fail(line, `method ${label}: throws field ${t.name} is not an exception`);
    }
    // The result struct has `0: success` next to the throws fields.
    if (returnType !== undefined && (t.id === 0 || t.name === SUCCESS_FIELD)) {
      scope.fail(line, `method ${label}: throws field ${t.name} (id ${t.id}) clashes with success`);
    }
  }
  if (fn.oneway && (returnType !== undefined || throws.length > 0)) {
    scope.fail(line, `oneway method ${label} must return void and declare no throws`);
  }
  return createMethodDescriptor({ ...base, mode, oneway: fn.oneway, params, returnType, throws });
}

/** Field schemas with ids (implicit ids count down from -1, as in structs), checked unique. */
function fieldsOf(
  nodes: readonly FieldDefinition[],
  what: string,
  label: string,
  scope: MethodAstScope,
): FieldSchema[] {
  const ids = new Set<number>();
  const names = new Set<string>();
  let autoId = 0;
  return nodes.map((node) => {
    const id = node.fieldID?.value ?? --autoId;
    const line = node.loc.start.line;
    if (ids.has(id)) scope.fail(line, `method ${label}: duplicate ${what} id ${id}`);
    if (names.has(node.name.value)) {
      scope.fail(line, `method ${label}: duplicate ${what} ${node.name.value}`);
    }
    ids.add(id);
    names.add(node.name.value);
    return scope.field(node, id);
  });
}
