/**
 * Turns one message value into the bytes of a DATA frame payload and back. The transport is
 * generic over it; `lib/thrift` provides struct codecs built from IDL schemas.
 */
export interface MessageCodec<T> {
  /**
   * Encodes `value`; throws a typed error (never produces partial bytes) when it cannot. The
   * bytes are yours and never change, but like a small Node `Buffer` they may be a view into a
   * shared `ArrayBuffer`: read them through the view (`byteOffset`, `byteLength`), not `.buffer`.
   */
  encode(value: T): Uint8Array;
  /** Decodes one payload; throws a typed error on malformed bytes. */
  decode(bytes: Uint8Array): T;
}
