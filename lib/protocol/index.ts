/**
 * The TTHeader Streaming frame codec (the `nestjs-ttstream/protocol` subpath): pure bytes, no I/O.
 * @packageDocumentation
 */
export { FrameType, frameTypeName, isKnownFrameType } from './frame-type.js';
export type { Frame, FrameInit } from './frame.js';
export { encodeFrame, encodeFrameHead, type FrameEncodeOptions } from './frame-encoder.js';
export { FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js';
export { FrameDecodeError } from './frame-decode-error.js';
export { FrameEncodeError } from './frame-encode-error.js';
export { IntHeaderKey } from './int-header-key.js';
export {
  HEADER_IDL_SERVICE_NAME,
  HEADER_BIZ_STATUS,
  HEADER_BIZ_MESSAGE,
  HEADER_BIZ_EXTRA,
  HEADER_CANCEL_PATH,
  HEADER_GDPR_TOKEN,
  HEADER_CONNECTION_RESET,
} from './header-keys.js';
export {
  METAINFO_TRANSIENT_PREFIX,
  METAINFO_PERSISTENT_PREFIX,
  METAINFO_TRANSIENT_UPSTREAM_PREFIX,
  type Metainfo,
  metainfoToHeaders,
  headersToMetainfo,
} from './metainfo.js';
export {
  TTHEADER_MAGIC,
  TTHEADER_FLAGS_STREAMING,
  PROTOCOL_ID_THRIFT_STRUCT,
  ACCEPTED_PROTOCOL_IDS,
  InfoId,
  FIXED_HEADER_BYTES,
  LENGTH_FIXED_BYTES,
  MIN_FRAME_LENGTH,
  MAX_HEADER_INFO_BYTES,
  MAX_HEADER_STRING_BYTES,
  MAX_HEADER_PAIRS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_HEADER_KEYS,
  DEFAULT_MAX_HEADER_BYTES,
  MAX_FRAME_LENGTH,
} from './ttheader-constants.js';
// Ping-pong (unary and oneway) messages: TTHeader, TTHeader + Framed, Framed and Buffered.
export { type PingPongShape, detectConnectionKind } from './pingpong-shape.js';
export type { PingPongMessage } from './pingpong-message.js';
export {
  PingPongDecoder,
  type PingPongDecoderOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
} from './pingpong-decoder.js';
export { PingPongDecodeError } from './pingpong-decode-error.js';
export { encodePingPong, type PingPongInit } from './pingpong-encoder.js';
