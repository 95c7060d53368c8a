/**
 * Header strings: UTF-8 text, binary-safe.
 *
 * Kitex takes header bytes as they are (Go strings are bytes), so a Go peer can send a value that
 * is not UTF-8. To hand such a value on unchanged (a proxy, an echo) while keeping `string` as
 * the header type, the decoder maps each byte that is not part of a well-formed UTF-8 sequence to
 * the lone surrogate U+DC80-U+DCFF (U+DC00 + the byte, Python's "surrogateescape", PEP 383), and
 * the encoder maps those lone surrogates back to their byte. Well-formed UTF-8 never decodes to
 * a lone surrogate, so valid text is unaffected and every byte string round-trips exactly.
 *
 * @internal not covered by semver
 */

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

// Below this length a char-code loop beats TextDecoder's call overhead for ASCII.
const SHORT_ASCII = 32;

/** The first code unit of the escapes: byte b (0x80-0xFF) becomes U+DC00 + b. */
const ESCAPE_BASE = 0xdc00;

/** Decodes `length` bytes at `offset`; bytes that are not UTF-8 become U+DC80-U+DCFF. */
export function decodeUtf8(bytes: Uint8Array, offset: number, length: number): string {
  if (length === 0) return '';
  if (length <= SHORT_ASCII) {
    let text = '';
    const end = offset + length;
    for (let i = offset; i < end; i++) {
      const b = bytes[i] as number;
      if (b >= 0x80) return decodeNonAscii(bytes, offset, length);
      text += String.fromCharCode(b);
    }
    return text;
  }
  return decodeNonAscii(bytes, offset, length);
}

function decodeNonAscii(bytes: Uint8Array, offset: number, length: number): string {
  const view = bytes.subarray(offset, offset + length);
  try {
    return strictDecoder.decode(view);
  } catch {
    return decodeEscaping(view);
  }
}

/** The length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), 0 when there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const lead = b[i] as number;
  const left = b.length - i;
  const cont = (k: number): boolean => k < left && ((b[i + k] as number) & 0xc0) === 0x80;
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return cont(1) ? 2 : 0;
  if (lead < 0xf0) {
    if (!cont(1) || !cont(2)) return 0;
    const second = b[i + 1] as number;
    if (lead === 0xe0 && second < 0xa0) return 0; // overlong
    if (lead === 0xed && second >= 0xa0) return 0; // a surrogate
    return 3;
  }
  if (lead < 0xf5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const second = b[i + 1] as number;
    if (lead === 0xf0 && second < 0x90) return 0; // overlong
    if (lead === 0xf4 && second >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

/** The slow path for bytes that are not all UTF-8: valid sequences as text, the rest escaped. */
function decodeEscaping(b: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i < b.length; ) {
    const n = sequenceLength(b, i);
    const lead = b[i] as number;
    if (n === 0) {
      units.push(ESCAPE_BASE + lead);
      i++;
      continue;
    }
    let code: number;
    if (n === 1) code = lead;
    else if (n === 2) code = ((lead & 0x1f) << 6) | ((b[i + 1] as number) & 0x3f);
    else if (n === 3) {
      code = ((lead & 0x0f) << 12) | (((b[i + 1] as number) & 0x3f) << 6);
      code |= (b[i + 2] as number) & 0x3f;
    } else {
      code = ((lead & 0x07) << 18) | (((b[i + 1] as number) & 0x3f) << 12);
      code |= (((b[i + 2] as number) & 0x3f) << 6) | ((b[i + 3] as number) & 0x3f);
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      units.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
    } else {
      units.push(code);
    }
    i += n;
  }
  let text = '';
  // In slices: String.fromCharCode takes its units as arguments.
  for (let i = 0; i < units.length; i += 4096) {
    text += String.fromCharCode(...units.slice(i, i + 4096));
  }
  return text;
}

/** A lone surrogate anywhere (a pair also matches; the slow path tells them apart). */
const SURROGATE = /[\ud800-\udfff]/;

/**
 * UTF-8 bytes of `text`. A lone U+DC80-U+DCFF is written as its byte (see the module comment);
 * any other lone surrogate becomes U+FFFD, as TextEncoder does.
 */
export function encodeUtf8(text: string): Uint8Array {
  if (!SURROGATE.test(text)) return encoder.encode(text);
  return encodeEscaping(text);
}

function encodeEscaping(text: string): Uint8Array {
  const out: number[] = [];
  let run = 0; // start of the current run of ordinary text
  const flush = (end: number): void => {
    if (end > run) for (const byte of encoder.encode(text.slice(run, end))) out.push(byte);
  };
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++; // a pair: ordinary text
      continue;
    }
    if (unit >= 0xdc80 && unit <= 0xdcff) {
      flush(i);
      out.push(unit - ESCAPE_BASE);
      run = i + 1;
    }
  }
  flush(text.length);
  return Uint8Array.from(out);
}
