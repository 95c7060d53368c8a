import { type MessageCodec } from './message-codec.js';
import { type EnumSchema, type FieldSchema, type StructSchema, type ThriftType } from './schema.js';
import { createStructCodec } from './struct-codec.js';
import { argsStructSchema, resultStructSchema } from './unary-structs.js';

/** How a method streams, from its `streaming.mode` annotation; `unary` when there is none. */
export type StreamingMode = 'bidirectional' | 'client' | 'server' | 'unary';

/** The `streaming.mode` values, in the order Kitex documents them. */
export const STREAMING_MODES: readonly StreamingMode[] = [
  'bidirectional',
  'client',
  'server',
  'unary',
];

interface MethodDescriptorBase {
  /** The method name as written in the IDL (`Echo`). */
  readonly name: string;
  /** The service the method belongs to (its own, even when inherited through `extends`). */
  readonly service: string;
  /** The method's annotations (`streaming.mode` included). */
  readonly annotations: Readonly<Record<string, string>>;
}

/** A streaming method: one struct argument, a struct result, codecs for both. */
export interface StreamingMethodDescriptor extends MethodDescriptorBase {
  readonly mode: 'bidirectional' | 'client' | 'server';
  /** The argument's struct type; the client sends values of it. */
  readonly requestType: StructSchema;
  /** The return struct type; the server sends values of it. */
  readonly responseType: StructSchema;
  readonly requestCodec: MessageCodec<unknown>;
  readonly responseCodec: MessageCodec<unknown>;
}

/** One `throws` entry of a unary method: its result field and the exception struct. */
export interface ThrowsDescriptor {
  /** The field name in the result struct (`err` in `throws (1: EchoException err)`). */
  readonly name: string;
  /** The field id in the result struct. */
  readonly id: number;
  /** The exception struct; its `name` is the IDL name a `ThriftException`'s `thriftName` matches. */
  readonly struct: StructSchema;
}

/**
 * A unary or oneway method: served request-response over TTHeader, Framed or Buffered
 * ("ping-pong"), never over TTHeader Streaming. The message body is the `<Method>_args` struct
 * (one field per parameter) and, for a reply, the `<Method>_result` struct (field 0 `success`
 * or one `throws` field).
 *
 * Request type and codec are present when it has exactly one struct parameter, response type
 * and codec when it returns a struct (the bare structs, as a streaming method has them).
 */
export interface UnaryMethodDescriptor extends MethodDescriptorBase {
  readonly mode: 'unary';
  /** `oneway`: no reply is sent (void, no `throws`). */
  readonly oneway: boolean;
  readonly requestType: StructSchema | undefined;
  readonly responseType: StructSchema | undefined;
  readonly requestCodec: MessageCodec<unknown> | undefined;
  readonly responseCodec: MessageCodec<unknown> | undefined;
  /** The IDL parameters in order, as fields of the args struct (id, name, type, requiredness). */
  readonly params: readonly FieldSchema[];
  /** The return type; undefined when the method returns void. */
  readonly returnType: ThriftType | undefined;
  /** True when the method returns void (a oneway method always does). */
  readonly returnsVoid: boolean;
  /** The declared exceptions, in IDL order (empty for a oneway method). */
  readonly throws: readonly ThrowsDescriptor[];
  /** The `<Method>_args` struct: the fields of {@link params}. */
  readonly argsType: StructSchema;
  /** The `<Method>_result` struct: `0: optional <return type> success`, then the `throws` fields. */
  readonly resultType: StructSchema;
  /** Encodes and decodes the args struct; values are keyed by parameter name. */
  readonly argsCodec: MessageCodec<Record<string, unknown>>;
  /** Encodes and decodes the result struct; values have `success` or one `throws` field name. */
  readonly resultCodec: MessageCodec<Record<string, unknown>>;
}

/** A method of a service; narrow on `mode` to get the codecs. */
export type MethodDescriptor = StreamingMethodDescriptor | UnaryMethodDescriptor;

/** A service: its methods, own and inherited (`extends`), by IDL name. */
export interface ServiceDescriptor {
  readonly name: string;
  readonly methods: ReadonlyMap<string, MethodDescriptor>;
}

/** A `const` of the IDL, with its value in the codec's value mapping. */
export interface ConstDescriptor {
  readonly name: string;
  readonly type: ThriftType;
  readonly value: unknown;
}

/**
 * Everything an IDL file and its includes define. Names from the root file are plain
 * (`Request`); names from included files carry the include's name (`base.Base`).
 */
export interface ThriftIdl {
  /** The root file name as given to the loader. */
  readonly fileName: string;
  /** The root file's `namespace` lines, scope to name (`go` -> `echo`). */
  readonly namespaces: ReadonlyMap<string, string>;
  readonly services: ReadonlyMap<string, ServiceDescriptor>;
  /** Structs, unions and exceptions. */
  readonly structs: ReadonlyMap<string, StructSchema>;
  readonly enums: ReadonlyMap<string, EnumSchema>;
  /** Typedefs, resolved to the type they name. */
  readonly typedefs: ReadonlyMap<string, ThriftType>;
  readonly consts: ReadonlyMap<string, ConstDescriptor>;
}

interface MethodPartsBase {
  readonly name: string;
  readonly service: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** What {@link createMethodDescriptor} needs for a streaming method. */
export interface StreamingMethodParts extends MethodPartsBase {
  readonly mode: 'bidirectional' | 'client' | 'server';
  readonly requestType: StructSchema;
  readonly responseType: StructSchema;
}

/** What {@link createMethodDescriptor} needs for a unary or oneway method. */
export interface UnaryMethodParts extends MethodPartsBase {
  readonly mode: 'unary';
  readonly oneway: boolean;
  readonly params: readonly FieldSchema[];
  /** Undefined for void. */
  readonly returnType: ThriftType | undefined;
  /** Fields whose types are exception structs. */
  readonly throws: readonly FieldSchema[];
}

/** What {@link createMethodDescriptor} needs. */
export type MethodParts = StreamingMethodParts | UnaryMethodParts;

/**
 * Builds a method descriptor with its codecs (the IDL loader checks the parts first, with line
 * numbers).
 *
 * @throws TypeError for a `throws` field whose type is not a struct.
 * @internal not covered by semver
 */
export function createMethodDescriptor(parts: MethodParts): MethodDescriptor {
  const { name, service, annotations } = parts;
  if (parts.mode !== 'unary') {
    const { requestType, responseType } = parts;
    return {
      name,
      service,
      annotations,
      mode: parts.mode,
      requestType,
      responseType,
      requestCodec: createStructCodec(requestType),
      responseCodec: createStructCodec(responseType),
    };
  }
  const { params, returnType } = parts;
  const onlyParam = params.length === 1 ? params[0]?.type : undefined;
  const requestType = onlyParam?.kind === 'struct' ? onlyParam.struct : undefined;
  const responseType = returnType?.kind === 'struct' ? returnType.struct : undefined;
  const throws = parts.throws.map((t) => {
    if (t.type.kind !== 'struct') {
      throw new TypeError(`${service}.${name}: throws field ${t.name} is not an exception struct`);
    }
    return { name: t.name, id: t.id, struct: t.type.struct };
  });
  const argsType = argsStructSchema(service, name, params);
  const resultType = resultStructSchema(service, name, returnType, parts.throws);
  return {
    name,
    service,
    annotations,
    mode: 'unary',
    oneway: parts.oneway,
    requestType,
    responseType,
    requestCodec: requestType && createStructCodec(requestType),
    responseCodec: responseType && createStructCodec(responseType),
    params,
    returnType,
    returnsVoid: returnType === undefined,
    throws,
    argsType,
    resultType,
    argsCodec: createStructCodec(argsType),
    resultCodec: createStructCodec(resultType),
  };
}
