/**
 * TTHeader wire constants used by TTHeader Streaming.
 * gopkg: `protocol/ttheader/{encode,decode,utils}.go`.
 */

/** Bytes 4-5 of every frame. */
export const TTHEADER_MAGIC = 0x1000;

/** The flags our encoder writes: only the streaming bit. */
export const TTHEADER_FLAGS_STREAMING = 0x0002;

/** Protocol id our encoder writes: a bare Thrift struct, no message envelope. */
export const PROTOCOL_ID_THRIFT_STRUCT = 0x10;

/** Protocol ids the decoder accepts, as gopkg's `checkProtocolID` does. */
export const ACCEPTED_PROTOCOL_IDS: ReadonlySet<number> = new Set([0x00, 0x03, 0x04, 0x10, 0x11]);

/** Info-block ids inside the header info area. */
export const InfoId = {
  /** A single padding byte; skipped wherever it appears. */
  Padding: 0x00,
  /** String key-value pairs. */
  KeyValue: 0x01,
  /** Integer-key pairs (u16 key, string value). */
  IntKeyValue: 0x10,
  /** One string: the ACL (gdpr) token. */
  ACLToken: 0x11,
} as const;

/** One of the {@link InfoId} values. */
export type InfoId = (typeof InfoId)[keyof typeof InfoId];

/** Bytes from offset 0 up to and including the header-size field. */
export const FIXED_HEADER_BYTES = 14;

/** Fixed bytes counted by LENGTH before the header info: magic, flags, seq id, header size. */
export const LENGTH_FIXED_BYTES = 10;

/**
 * The smallest LENGTH a valid frame can declare: the 10 fixed bytes plus one 4-byte header word
 * (protocol id, transform count and 2 more bytes).
 */
export const MIN_FRAME_LENGTH = LENGTH_FIXED_BYTES + 4;

/**
 * Largest header info area we write: 65,532 bytes keeps us inside what every Kitex version
 * decodes (gopkg before v0.1.8 wrapped `u16 * 4` at 65,536).
 */
export const MAX_HEADER_INFO_BYTES = 65532;

/** Largest UTF-8 length of one header string: its length prefix is a u16. */
export const MAX_HEADER_STRING_BYTES = 65535;

/** Largest number of pairs in one KV block: the count is a u16. */
export const MAX_HEADER_PAIRS = 65535;

/**
 * Default cap on a frame's LENGTH field: 64 MiB. Kitex has no cap and accepts 17 and 20 MiB
 * messages; a transport refuses a larger frame for its stream only, reading past its payload.
 */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** The largest LENGTH the protocol allows: the top bit is reserved. */
export const MAX_FRAME_LENGTH = 0x7fffffff;

/**
 * Default cap on the key/value pairs (string and int keys together) of one received frame. Kitex
 * sends a few dozen (metainfo included); 43,000 keys is an attack, not a request.
 */
export const DEFAULT_MAX_HEADER_KEYS = 4096;

/**
 * Default cap on the header info bytes of one received frame: twice what any Kitex-compatible
 * peer writes (gopkg before v0.1.8 wraps at 65,536), half of what the 16-bit size field allows.
 */
export const DEFAULT_MAX_HEADER_BYTES = 128 * 1024;
