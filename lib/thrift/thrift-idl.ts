import { type MessageCodec } from './message-codec.js';
import { type EnumSchema, type StructSchema, type ThriftType } from './schema.js';
import { createStructCodec } from './struct-codec.js';

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

/**
 * A unary method (not served over TTHeader Streaming). Request type and codec are present when
 * it has exactly one struct argument, response type and codec when it returns a struct.
 */
export interface UnaryMethodDescriptor extends MethodDescriptorBase {
  readonly mode: 'unary';
  readonly oneway: boolean;
  readonly requestType: StructSchema | undefined;
  readonly responseType: StructSchema | undefined;
  readonly requestCodec: MessageCodec<unknown> | undefined;
  readonly responseCodec: MessageCodec<unknown> | undefined;
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

/** What {@link createMethodDescriptor} needs. */
export interface MethodParts {
  readonly name: string;
  readonly service: string;
  readonly mode: StreamingMode;
  readonly oneway: boolean;
  readonly annotations: Readonly<Record<string, string>>;
  readonly requestType: StructSchema | undefined;
  readonly responseType: StructSchema | undefined;
}

/**
 * Builds a method descriptor with its codecs. A streaming mode requires both types (the IDL
 * loader checks that before calling).
 *
 * @internal not covered by semver
 */
export function createMethodDescriptor(parts: MethodParts): MethodDescriptor {
  const { name, service, annotations, requestType, responseType } = parts;
  if (parts.mode === 'unary') {
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
    };
  }
  if (requestType === undefined || responseType === undefined) {
    throw new TypeError(`streaming method ${service}.${name} needs struct request and response`);
  }
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
