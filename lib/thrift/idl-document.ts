import {
  type EnumMemberSchema,
  type EnumSchema,
  type FieldRequiredness,
  type FieldSchema,
  type StructKind,
  type StructSchema,
  type ThriftType,
} from './schema.js';
import {
  createMethodDescriptor,
  type MethodDescriptor,
  type ServiceDescriptor,
  type StreamingMethodDescriptor,
  type StreamingMode,
  type ThriftIdl,
  type UnaryMethodDescriptor,
} from './thrift-idl.js';

/** A type in a {@link ThriftIdlDocument}: like `ThriftType`, with structs and enums by name. */
export type ThriftTypeDocument =
  | { readonly kind: 'bool' | 'byte' | 'i16' | 'i32' | 'double' | 'string' | 'binary' }
  | { readonly kind: 'i64'; readonly asNumber?: boolean }
  | { readonly kind: 'enum' | 'struct'; readonly name: string }
  | { readonly kind: 'list' | 'set'; readonly element: ThriftTypeDocument }
  | { readonly kind: 'map'; readonly key: ThriftTypeDocument; readonly value: ThriftTypeDocument };

/** A field in a {@link ThriftIdlDocument}. */
export interface FieldDocument {
  readonly id: number;
  readonly name: string;
  readonly type: ThriftTypeDocument;
  readonly requiredness: FieldRequiredness;
  readonly defaultValue?: unknown;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * A method in a {@link ThriftIdlDocument}. A streaming method names its request and response
 * structs; a unary one lists its parameters, return type (none for void) and `throws` fields.
 */
export interface MethodDocument {
  readonly mode: StreamingMode;
  /** The service that declares it, when not the one listing it (`extends`). */
  readonly service?: string;
  readonly oneway?: boolean;
  /** Streaming: the request struct. */
  readonly request?: string;
  /** Streaming: the response struct. */
  readonly response?: string;
  /** Unary: the parameters, as args struct fields. None when absent. */
  readonly params?: readonly FieldDocument[];
  /** Unary: the return type; void when absent. */
  readonly returns?: ThriftTypeDocument;
  /** Unary: the `throws` fields (exception structs). None when absent. */
  readonly throws?: readonly FieldDocument[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The schemas of an IDL as plain data (no object cycles): what code generation writes into the
 * generated file, so the generated path needs no IDL file at run time. Turn it back into
 * descriptors with {@link createIdlFromDocument}.
 */
export interface ThriftIdlDocument {
  readonly fileName: string;
  readonly structs: Readonly<
    Record<
      string,
      {
        readonly kind: StructKind;
        readonly fields: readonly FieldDocument[];
        readonly annotations?: Readonly<Record<string, string>>;
      }
    >
  >;
  readonly enums: Readonly<Record<string, readonly EnumMemberSchema[]>>;
  readonly services: Readonly<
    Record<string, { readonly methods: Readonly<Record<string, MethodDocument>> }>
  >;
}

function typeToDocument(type: ThriftType): ThriftTypeDocument {
  switch (type.kind) {
    case 'struct':
      return { kind: 'struct', name: type.struct.name };
    case 'enum':
      return { kind: 'enum', name: type.enum.name };
    case 'list':
    case 'set':
      return { kind: type.kind, element: typeToDocument(type.element) };
    case 'map':
      return { kind: 'map', key: typeToDocument(type.key), value: typeToDocument(type.value) };
    case 'i64':
      return type.asNumber === true ? { kind: 'i64', asNumber: true } : { kind: 'i64' };
    case 'bool':
    case 'byte':
    case 'i16':
    case 'i32':
    case 'double':
    case 'string':
    case 'binary':
      return { kind: type.kind };
  }
}

function fieldToDocument(f: FieldSchema): FieldDocument {
  return {
    id: f.id,
    name: f.name,
    type: typeToDocument(f.type),
    requiredness: f.requiredness,
    ...(f.defaultValue === undefined ? {} : { defaultValue: f.defaultValue }),
    ...(f.annotations === undefined ? {} : { annotations: f.annotations }),
  };
}

function streamingToDocument(m: StreamingMethodDescriptor): Partial<MethodDocument> {
  return { request: m.requestType.name, response: m.responseType.name };
}

function unaryToDocument(m: UnaryMethodDescriptor): Partial<MethodDocument> {
  // The result struct's fields after `success`: the throws fields (made optional).
  const throws = m.returnsVoid ? m.resultType.fields : m.resultType.fields.slice(1);
  return {
    ...(m.oneway ? { oneway: true } : {}),
    ...(m.params.length === 0 ? {} : { params: m.params.map(fieldToDocument) }),
    ...(m.returnType === undefined ? {} : { returns: typeToDocument(m.returnType) }),
    ...(m.throws.length === 0 ? {} : { throws: throws.map(fieldToDocument) }),
  };
}

/** The plain-data form of `idl`'s structs, enums and services. */
export function idlToDocument(idl: ThriftIdl): ThriftIdlDocument {
  const structs: Record<string, ThriftIdlDocument['structs'][string]> = {};
  for (const [name, s] of idl.structs) {
    structs[name] = {
      kind: s.kind,
      fields: s.fields.map(fieldToDocument),
      ...(s.annotations === undefined ? {} : { annotations: s.annotations }),
    };
  }
  const enums: Record<string, readonly EnumMemberSchema[]> = {};
  for (const [name, e] of idl.enums) enums[name] = e.members.map((m) => ({ ...m }));
  const services: Record<string, { methods: Record<string, MethodDocument> }> = {};
  for (const [name, service] of idl.services) {
    const methods: Record<string, MethodDocument> = {};
    for (const [methodName, m] of service.methods) {
      methods[methodName] = {
        mode: m.mode,
        ...(m.service === name ? {} : { service: m.service }),
        ...(m.mode === 'unary' ? unaryToDocument(m) : streamingToDocument(m)),
        ...(Object.keys(m.annotations).length === 0 ? {} : { annotations: m.annotations }),
      };
    }
    services[name] = { methods };
  }
  return { fileName: idl.fileName, structs, enums, services };
}

/**
 * Descriptors and codecs from a {@link ThriftIdlDocument} (for instance the one a generated
 * file exports). Gives the same schemas, and so the same bytes, as loading the IDL itself;
 * typedefs and consts are not part of a document and come back empty.
 *
 * @throws TypeError when the document names a struct or enum it does not define, or a streaming
 * method lacks its request or response struct.
 */
export function createIdlFromDocument(doc: ThriftIdlDocument): ThriftIdl {
  const structs = new Map<string, StructSchema & { fields: FieldSchema[] }>();
  const enums = new Map<string, EnumSchema>();
  for (const [name, members] of Object.entries(doc.enums)) {
    enums.set(name, { name, members: members.map((m) => ({ name: m.name, value: m.value })) });
  }
  for (const [name, s] of Object.entries(doc.structs)) {
    structs.set(name, {
      name,
      kind: s.kind,
      fields: [],
      ...(s.annotations === undefined ? {} : { annotations: s.annotations }),
    });
  }
  const struct = (name: string): StructSchema => {
    const found = structs.get(name);
    if (found === undefined) throw new TypeError(`the IDL document has no struct ${name}`);
    return found;
  };
  const resolveType = (type: ThriftTypeDocument): ThriftType => {
    switch (type.kind) {
      case 'struct':
        return { kind: 'struct', struct: struct(type.name) };
      case 'enum': {
        const found = enums.get(type.name);
        if (found === undefined) throw new TypeError(`the IDL document has no enum ${type.name}`);
        return { kind: 'enum', enum: found };
      }
      case 'list':
      case 'set':
        return { kind: type.kind, element: resolveType(type.element) };
      case 'map':
        return { kind: 'map', key: resolveType(type.key), value: resolveType(type.value) };
      case 'i64':
        return type.asNumber === true ? { kind: 'i64', asNumber: true } : { kind: 'i64' };
      case 'bool':
      case 'byte':
      case 'i16':
      case 'i32':
      case 'double':
      case 'string':
      case 'binary':
        return { kind: type.kind };
    }
  };
  const field = (f: FieldDocument): FieldSchema => ({
    id: f.id,
    name: f.name,
    type: resolveType(f.type),
    requiredness: f.requiredness,
    ...(f.defaultValue === undefined ? {} : { defaultValue: f.defaultValue }),
    ...(f.annotations === undefined ? {} : { annotations: f.annotations }),
  });
  for (const [name, s] of Object.entries(doc.structs)) {
    structs.get(name)?.fields.push(...s.fields.map(field));
  }
  const method = (name: string, service: string, m: MethodDocument): MethodDescriptor => {
    const base = { name, service: m.service ?? service, annotations: m.annotations ?? {} };
    if (m.mode === 'unary') {
      return createMethodDescriptor({
        ...base,
        mode: 'unary',
        oneway: m.oneway ?? false,
        params: (m.params ?? []).map(field),
        returnType: m.returns === undefined ? undefined : resolveType(m.returns),
        throws: (m.throws ?? []).map(field),
      });
    }
    if (m.request === undefined || m.response === undefined) {
      throw new TypeError(`the IDL document's streaming method ${service}.${name} lacks a struct`);
    }
    return createMethodDescriptor({
      ...base,
      mode: m.mode,
      requestType: struct(m.request),
      responseType: struct(m.response),
    });
  };
  const services = new Map<string, ServiceDescriptor>();
  for (const [name, service] of Object.entries(doc.services)) {
    const methods = new Map<string, MethodDescriptor>();
    for (const [methodName, m] of Object.entries(service.methods)) {
      methods.set(methodName, method(methodName, name, m));
    }
    services.set(name, { name, methods });
  }
  return {
    fileName: doc.fileName,
    namespaces: new Map(),
    services,
    structs,
    enums,
    typedefs: new Map(),
    consts: new Map(),
  };
}
