import type { MessageCodec } from '../../lib/thrift/message-codec.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A UTF-8 string as the whole payload. */
export const stringCodec: MessageCodec<string> = {
  encode: (value) => encoder.encode(value),
  decode: (bytes) => decoder.decode(bytes),
};

/** Compact JSON as the payload; decode throws on bad input. */
export function jsonCodec<T>(): MessageCodec<T> {
  return {
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(decoder.decode(bytes)) as T,
  };
}

/** Raw bytes, unchanged. */
export const bytesCodec: MessageCodec<Uint8Array> = {
  encode: (value) => value,
  decode: (bytes) => bytes,
};
