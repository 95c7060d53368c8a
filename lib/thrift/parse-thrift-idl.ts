import {
  type ConstDefinition,
  type FieldDefinition,
  type FunctionType,
  type ServiceDefinition,
  SyntaxType,
  type ThriftDocument,
  type TypedefDefinition,
} from '@creditkarma/thrift-parser';
import { constValueFromAst, parseInteger } from './const-value.js';
import { annotationsFromAst, wantsI64AsNumber } from './idl-annotations.js';
import {
  type EnumSchema,
  type FieldSchema,
  type StructKind,
  type StructSchema,
  type ThriftType,
} from './schema.js';
import { type MethodAstScope, methodFromAst } from './method-from-ast.js';
import { parseDocument } from './parse-document.js';
import {
  type ConstDescriptor,
  type MethodDescriptor,
  type ServiceDescriptor,
  type ThriftIdl,
} from './thrift-idl.js';
import { ThriftIdlError } from './thrift-errors.js';

/** An included file found by {@link ParseThriftIdlOptions.resolveInclude}. */
export interface IncludeSource {
  /** A name that identifies the file (a resolved path): used in errors and to detect cycles. */
  readonly fileName: string;
  readonly source: string;
}

/** Options for {@link parseThriftIdl}. */
export interface ParseThriftIdlOptions {
  /** The name errors give the root source. Default `'<source>'`. */
  readonly fileName?: string;
  /**
   * Finds `include "path"` written in `fromFile`; undefined when it does not exist. Default:
   * no includes can be found.
   */
  readonly resolveInclude?: (path: string, fromFile: string) => IncludeSource | undefined;
  /** How i64 values are mapped where no annotation says: `bigint` (default) or `number`. */
  readonly i64?: 'bigint' | 'number';
}

type StructStatement = Extract<
  ThriftDocument['body'][number],
  {
    type: SyntaxType.StructDefinition | SyntaxType.UnionDefinition | SyntaxType.ExceptionDefinition;
  }
>;

interface MutableStruct extends StructSchema {
  readonly fields: FieldSchema[];
}

interface FileScope {
  readonly fileName: string;
  /** '' for the root file, `base.` for `base.thrift`. */
  readonly prefix: string;
  readonly doc: ThriftDocument;
  readonly includes: Map<string, FileScope>;
  readonly structs: Map<string, { schema: MutableStruct; node: StructStatement }>;
  readonly enums: Map<string, EnumSchema>;
  readonly typedefs: Map<string, TypedefDefinition>;
  readonly consts: Map<string, ConstDefinition>;
  readonly services: Map<string, ServiceDefinition>;
}

const STRUCT_KINDS: Readonly<Record<string, StructKind>> = {
  [SyntaxType.StructDefinition]: 'struct',
  [SyntaxType.UnionDefinition]: 'union',
  [SyntaxType.ExceptionDefinition]: 'exception',
};

function baseName(fileName: string): string {
  const last = fileName.split(/[\\/]/).pop() ?? fileName;
  return last.endsWith('.thrift') ? last.slice(0, -'.thrift'.length) : last;
}

/**
 * Parses Thrift IDL text, following `include`s through `resolveInclude`, and returns its
 * services (with each method's streaming mode and codecs: the bare structs of a streaming method,
 * the args and result structs of a unary one), structs, unions, exceptions, enums, typedefs and
 * consts. Annotations, `namespace` lines and every comment style are
 * accepted; annotations are kept on fields, types and methods.
 *
 * @throws ThriftIdlError (with file and line) for a syntax error, an unknown type, a streaming
 * method without exactly one struct argument or without a struct result, an unknown
 * `streaming.mode`, a `throws` type that is not an exception, a oneway method that returns a
 * value or throws, a duplicate name or field id, a cyclic or missing include.
 */
export function parseThriftIdl(source: string, options: ParseThriftIdlOptions = {}): ThriftIdl {
  return new IdlResolver(options).resolve(source, options.fileName ?? '<source>');
}

class IdlResolver {
  private readonly files: FileScope[] = [];
  private readonly byFileName = new Map<string, FileScope>();
  private readonly typedefTypes = new Map<TypedefDefinition, ThriftType | 'resolving'>();
  private readonly constValues = new Map<ConstDefinition, ConstDescriptor | 'resolving'>();
  private readonly serviceDescriptors = new Map<
    ServiceDefinition,
    ServiceDescriptor | 'resolving'
  >();
  private readonly i64AsNumber: boolean;

  constructor(private readonly options: ParseThriftIdlOptions) {
    this.i64AsNumber = options.i64 === 'number';
  }

  resolve(source: string, fileName: string): ThriftIdl {
    const root = this.load(source, fileName, '', []);
    for (const file of this.files) this.fillStructs(file);
    const idl = {
      fileName,
      namespaces: new Map<string, string>(),
      services: new Map<string, ServiceDescriptor>(),
      structs: new Map<string, StructSchema>(),
      enums: new Map<string, EnumSchema>(),
      typedefs: new Map<string, ThriftType>(),
      consts: new Map<string, ConstDescriptor>(),
    };
    for (const statement of root.doc.body) {
      if (statement.type === SyntaxType.NamespaceDefinition) {
        idl.namespaces.set(statement.scope.value, statement.name.value);
      }
    }
    for (const file of this.files) {
      for (const [name, { schema }] of file.structs) idl.structs.set(file.prefix + name, schema);
      for (const [name, schema] of file.enums) idl.enums.set(file.prefix + name, schema);
      for (const [name, node] of file.typedefs) {
        idl.typedefs.set(file.prefix + name, this.typedefType(file, node));
      }
      for (const [name, node] of file.consts) {
        idl.consts.set(file.prefix + name, this.constDescriptor(file, node));
      }
      for (const [name, node] of file.services) {
        idl.services.set(file.prefix + name, this.service(file, node));
      }
    }
    return idl;
  }

  private fail(file: FileScope | string, line: number, problem: string): never {
    throw new ThriftIdlError(typeof file === 'string' ? file : file.fileName, line, problem);
  }

  private load(source: string, fileName: string, prefix: string, stack: string[]): FileScope {
    const doc = parseDocument(source, fileName);
    const file: FileScope = {
      fileName,
      prefix,
      doc,
      includes: new Map(),
      structs: new Map(),
      enums: new Map(),
      typedefs: new Map(),
      consts: new Map(),
      services: new Map(),
    };
    this.byFileName.set(fileName, file);
    const chain = [...stack, fileName];
    for (const statement of doc.body) {
      if (statement.type !== SyntaxType.IncludeDefinition) continue;
      const path = statement.path.value;
      const line = statement.loc.start.line;
      const found = this.options.resolveInclude?.(path, fileName);
      if (found === undefined) this.fail(fileName, line, `cannot find include "${path}"`);
      if (chain.includes(found.fileName)) {
        this.fail(fileName, line, `cyclic include: ${[...chain, found.fileName].join(' -> ')}`);
      }
      const alias = baseName(path);
      const included =
        this.byFileName.get(found.fileName) ??
        this.load(found.source, found.fileName, `${baseName(found.fileName)}.`, chain);
      file.includes.set(alias, included);
    }
    this.register(file);
    this.files.push(file);
    return file;
  }

  private register(file: FileScope): void {
    const seen = new Set<string>();
    for (const statement of file.doc.body) {
      if (!('name' in statement) || statement.type === SyntaxType.NamespaceDefinition) continue;
      const name = statement.name.value;
      if (seen.has(name)) this.fail(file, statement.loc.start.line, `duplicate definition ${name}`);
      seen.add(name);
      switch (statement.type) {
        case SyntaxType.StructDefinition:
        case SyntaxType.UnionDefinition:
        case SyntaxType.ExceptionDefinition: {
          const annotations = annotationsFromAst(statement.annotations);
          const schema: MutableStruct = {
            name: file.prefix + name,
            kind: STRUCT_KINDS[statement.type] as StructKind,
            fields: [],
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
          };
          file.structs.set(name, { schema, node: statement });
          break;
        }
        case SyntaxType.EnumDefinition: {
          let next = 0;
          const members = statement.members.map((m) => {
            const value =
              m.initializer === null ? next : Number(parseInteger(m.initializer.value.value));
            if ((value | 0) !== value) {
              this.fail(file, m.loc.start.line, `enum value ${m.name.value} is not an i32`);
            }
            next = value + 1;
            return { name: m.name.value, value };
          });
          file.enums.set(name, { name: file.prefix + name, members });
          break;
        }
        case SyntaxType.TypedefDefinition:
          file.typedefs.set(name, statement);
          break;
        case SyntaxType.ConstDefinition:
          file.consts.set(name, statement);
          break;
        case SyntaxType.ServiceDefinition:
          file.services.set(name, statement);
          break;
      }
    }
  }

  /** Finds the file and local name a possibly qualified name refers to. */
  private scopeOf(file: FileScope, name: string): [FileScope, string] {
    const dot = name.indexOf('.');
    if (dot > 0) {
      const included = file.includes.get(name.slice(0, dot));
      if (included !== undefined) return [included, name.slice(dot + 1)];
    }
    return [file, name];
  }

  private resolveType(
    file: FileScope,
    node: FunctionType,
    fieldAnnotations: Readonly<Record<string, string>> = {},
  ): ThriftType {
    const line = node.loc.start.line;
    const typeAnnotations = 'annotations' in node ? annotationsFromAst(node.annotations) : {};
    switch (node.type) {
      case SyntaxType.BoolKeyword:
        return { kind: 'bool' };
      case SyntaxType.ByteKeyword:
      case SyntaxType.I8Keyword:
        return { kind: 'byte' };
      case SyntaxType.I16Keyword:
        return { kind: 'i16' };
      case SyntaxType.I32Keyword:
        return { kind: 'i32' };
      case SyntaxType.I64Keyword:
        return this.i64(typeAnnotations, fieldAnnotations);
      case SyntaxType.DoubleKeyword:
        return { kind: 'double' };
      case SyntaxType.StringKeyword:
        return { kind: 'string' };
      case SyntaxType.BinaryKeyword:
        return { kind: 'binary' };
      case SyntaxType.ListType:
        return { kind: 'list', element: this.resolveType(file, node.valueType) };
      case SyntaxType.SetType:
        return { kind: 'set', element: this.resolveType(file, node.valueType) };
      case SyntaxType.MapType:
        return {
          kind: 'map',
          key: this.resolveType(file, node.keyType),
          value: this.resolveType(file, node.valueType),
        };
      case SyntaxType.VoidKeyword:
        return this.fail(file, line, 'void is only allowed as a method result');
      case SyntaxType.Identifier: {
        const [scope, local] = this.scopeOf(file, node.value);
        const struct = scope.structs.get(local);
        if (struct !== undefined) return { kind: 'struct', struct: struct.schema };
        const enumSchema = scope.enums.get(local);
        if (enumSchema !== undefined) return { kind: 'enum', enum: enumSchema };
        const typedef = scope.typedefs.get(local);
        if (typedef !== undefined) {
          const resolved = this.typedefType(scope, typedef);
          if (resolved.kind === 'i64') return this.i64(typeAnnotations, fieldAnnotations, resolved);
          return resolved;
        }
        return this.fail(file, line, `unknown type ${node.value}`);
      }
    }
  }

  private i64(
    typeAnnotations: Readonly<Record<string, string>>,
    fieldAnnotations: Readonly<Record<string, string>>,
    base?: ThriftType & { kind: 'i64' },
  ): ThriftType {
    const asNumber =
      wantsI64AsNumber(fieldAnnotations) ||
      wantsI64AsNumber(typeAnnotations) ||
      (base === undefined ? this.i64AsNumber : base.asNumber === true);
    return asNumber ? { kind: 'i64', asNumber: true } : { kind: 'i64' };
  }

  private typedefType(file: FileScope, node: TypedefDefinition): ThriftType {
    const known = this.typedefTypes.get(node);
    if (known === 'resolving') {
      this.fail(file, node.loc.start.line, `typedef ${node.name.value} refers to itself`);
    }
    if (known !== undefined) return known;
    this.typedefTypes.set(node, 'resolving');
    const type = this.resolveType(file, node.definitionType, annotationsFromAst(node.annotations));
    this.typedefTypes.set(node, type);
    return type;
  }

  private fillStructs(file: FileScope): void {
    for (const { schema, node } of file.structs.values()) {
      const ids = new Set<number>();
      let autoId = 0;
      for (const field of node.fields) {
        const id = field.fieldID?.value ?? --autoId;
        if (ids.has(id)) {
          this.fail(file, field.loc.start.line, `duplicate field id ${id} in ${schema.name}`);
        }
        ids.add(id);
        schema.fields.push(this.field(file, field, id, schema.kind === 'union'));
      }
    }
  }

  private field(file: FileScope, node: FieldDefinition, id: number, inUnion: boolean): FieldSchema {
    const annotations = annotationsFromAst(node.annotations);
    const type = this.resolveType(file, node.fieldType, annotations);
    const requiredness = inUnion ? 'optional' : (node.requiredness ?? 'default');
    return {
      id,
      name: node.name.value,
      type,
      requiredness,
      ...(node.defaultValue === null
        ? {}
        : { defaultValue: this.constant(file, node.defaultValue, type) }),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    };
  }

  private constant(
    file: FileScope,
    node: ConstDefinition['initializer'],
    type: ThriftType,
  ): unknown {
    return constValueFromAst(node, type, {
      lookup: (name) => this.lookupValue(file, name),
      fail: (line, problem) => this.fail(file, line, problem),
    });
  }

  /** The value an identifier in a constant names: `Enum.MEMBER`, `CONST`, with an include prefix. */
  private lookupValue(file: FileScope, name: string): unknown {
    const [scope, local] = this.scopeOf(file, name);
    const constNode = scope.consts.get(local);
    if (constNode !== undefined) return this.constDescriptor(scope, constNode).value;
    const dot = local.lastIndexOf('.');
    if (dot > 0) {
      const enumSchema = scope.enums.get(local.slice(0, dot));
      const member = enumSchema?.members.find((m) => m.name === local.slice(dot + 1));
      if (member !== undefined) return member.value;
    }
    return undefined;
  }

  private constDescriptor(file: FileScope, node: ConstDefinition): ConstDescriptor {
    const known = this.constValues.get(node);
    if (known === 'resolving') {
      this.fail(file, node.loc.start.line, `const ${node.name.value} refers to itself`);
    }
    if (known !== undefined) return known;
    this.constValues.set(node, 'resolving');
    const type = this.resolveType(file, node.fieldType, annotationsFromAst(node.annotations));
    const descriptor = {
      name: file.prefix + node.name.value,
      type,
      value: this.constant(file, node.initializer, type),
    };
    this.constValues.set(node, descriptor);
    return descriptor;
  }

  private service(file: FileScope, node: ServiceDefinition): ServiceDescriptor {
    const known = this.serviceDescriptors.get(node);
    if (known === 'resolving') {
      this.fail(file, node.loc.start.line, `service ${node.name.value} extends itself`);
    }
    if (known !== undefined) return known;
    this.serviceDescriptors.set(node, 'resolving');
    const name = file.prefix + node.name.value;
    const methods = new Map<string, MethodDescriptor>();
    if (node.extends !== null) {
      const [scope, local] = this.scopeOf(file, node.extends.value);
      const parent = scope.services.get(local);
      if (parent === undefined) {
        this.fail(file, node.extends.loc.start.line, `unknown service ${node.extends.value}`);
      }
      for (const [methodName, method] of this.service(scope, parent).methods) {
        methods.set(methodName, method);
      }
    }
    const scope: MethodAstScope = {
      service: name,
      resolveType: (type) => this.resolveType(file, type),
      field: (field, id) => this.field(file, field, id, false),
      fail: (line, problem) => this.fail(file, line, problem),
    };
    for (const fn of node.functions) methods.set(fn.name.value, methodFromAst(fn, scope));
    const descriptor = { name, methods };
    this.serviceDescriptors.set(node, descriptor);
    return descriptor;
  }
}
