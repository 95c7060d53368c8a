/**
 * UTF-8 helpers shared by the encoder and decoder.
 * @internal not covered by semver
 */

// fatal: false: header bytes are taken as they are (Kitex does not validate them either).
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

// Below this length a char-code loop beats TextDecoder's call overhead for ASCII.
const SHORT_ASCII = 32;

/** Decodes `length` bytes at `offset`; short ASCII strings skip TextDecoder. */
export function decodeUtf8(bytes: Uint8Array, offset: number, length: number): string {
  if (length === 0) return '';
  if (length <= SHORT_ASCII) {
    let text = '';
    const end = offset + length;
    for (let i = offset; i < end; i++) {
      const b = bytes[i] as number;
      if (b >= 0x80) return decoder.decode(bytes.subarray(offset, end));
      text += String.fromCharCode(b);
    }
    return text;
  }
  return decoder.decode(bytes.subarray(offset, offset + length));
}

/** UTF-8 bytes of `text` (lone surrogates become U+FFFD, as TextEncoder does). */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}
