export { type MessageCodec } from './message-codec.js';
export { TType, ttypeName } from './ttype.js';
export { ThriftDecodeError, ThriftEncodeError, ThriftIdlError } from './thrift-errors.js';
export {
  type TApplicationExceptionMessage,
  encodeApplicationExceptionMessage,
  decodeApplicationExceptionMessage,
} from './application-exception.js';
export {
  type ThriftType,
  type ThriftTypeKind,
  type FieldRequiredness,
  type FieldSchema,
  type StructKind,
  type StructSchema,
  type EnumMemberSchema,
  type EnumSchema,
  isFixedLengthType,
  kitexFieldOrder,
} from './schema.js';
export { createStructCodec, type StructCodecOptions, DEFAULT_MAX_DEPTH } from './struct-codec.js';
export {
  type StreamingMode,
  STREAMING_MODES,
  type MethodDescriptor,
  type StreamingMethodDescriptor,
  type UnaryMethodDescriptor,
  type ServiceDescriptor,
  type ConstDescriptor,
  type ThriftIdl,
} from './thrift-idl.js';
export {
  parseThriftIdl,
  type ParseThriftIdlOptions,
  type IncludeSource,
} from './parse-thrift-idl.js';
export {
  type ThriftIdlDocument,
  type ThriftTypeDocument,
  type FieldDocument,
  type MethodDocument,
  idlToDocument,
  createIdlFromDocument,
} from './idl-document.js';
export { I64_AS_NUMBER_ANNOTATION } from './idl-annotations.js';
export { type ThrowsDescriptor } from './thrift-idl.js';
export { argsToPayload, payloadToArgs, type UnaryMethodParams } from './unary-values.js';
export {
  declaredExceptionField,
  exceptionFromResult,
  exceptionClassMap,
  type UnaryMethodThrows,
} from './declared-exception.js';
export {
  ThriftMessageType,
  type ThriftMessageHeader,
  encodeThriftMessage,
  decodeThriftMessageHeader,
  MAX_MESSAGE_NAME_BYTES,
} from './message-envelope.js';
