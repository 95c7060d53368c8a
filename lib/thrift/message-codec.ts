/**
 * Turns one message value into the bytes of a DATA frame payload and back. The transport is
 * generic over it; `lib/thrift` provides struct codecs built from IDL schemas.
 */
export interface MessageCodec<T> {
  /** Encodes `value`; throws a typed error (never produces partial bytes) when it cannot. */
  encode(value: T): Uint8Array;
  /** Decodes one payload; throws a typed error on malformed bytes. */
  decode(bytes: Uint8Array): T;
}
