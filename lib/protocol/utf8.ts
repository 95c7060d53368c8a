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

import { decodeUtf8Wasm } from './wasm-utf8-decoder.js';

const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

// Below this length a char-code loop beats TextDecoder's call overhead for ASCII.
const SHORT_ASCII = 32;

// Above this length the WebAssembly decoder beats TextDecoder on text and, by 5-10 times, the
// JavaScript loop on bytes that are not UTF-8; below it, calling into it costs more than it saves.
const WASM_MIN_BYTES = 64;

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

/**
 * Text with non-ASCII bytes. No exceptions on this path (a fatal TextDecoder throwing per string
 * made 43,000 binary header keys cost half a second): short strings go through the escaping
 * loop; long ones through the WebAssembly decoder; those between, and long ones where
 * WebAssembly cannot run, through TextDecoder, and again through the loop only when the result
 * holds a U+FFFD, which may stand for bytes that are not UTF-8.
 */
function decodeNonAscii(bytes: Uint8Array, offset: number, length: number): string {
  if (length <= SHORT_ASCII) return decodeEscaping(bytes, offset, offset + length);
  if (length > WASM_MIN_BYTES) {
    const decoded = decodeUtf8Wasm(bytes, offset, length);
    if (decoded !== undefined) return decoded;
  }
  const text = lenientDecoder.decode(bytes.subarray(offset, offset + length));
  return text.indexOf('\uFFFD') === -1 ? text : decodeEscaping(bytes, offset, offset + length);
}

/**
 * The length of the well-formed UTF-8 sequence at `i` of bytes ending at `end` (Unicode table
 * 3-7), 0 when there is none.
 */
function sequenceLength(b: Uint8Array, i: number, end: number): number {
  const lead = b[i] as number;
  if (lead < 0x80) return 1;
  if (lead < 0xc2 || lead > 0xf4) return 0;
  const left = end - i;
  const second = left > 1 ? (b[i + 1] as number) : 0;
  if ((second & 0xc0) !== 0x80) return 0;
  if (lead < 0xe0) return 2;
  const third = left > 2 ? (b[i + 2] as number) : 0;
  if ((third & 0xc0) !== 0x80) return 0;
  if (lead < 0xf0) {
    if (lead === 0xe0 && second < 0xa0) return 0; // overlong
    if (lead === 0xed && second >= 0xa0) return 0; // a surrogate
    return 3;
  }
  const fourth = left > 3 ? (b[i + 3] as number) : 0;
  if ((fourth & 0xc0) !== 0x80) return 0;
  if (lead === 0xf0 && second < 0x90) return 0; // overlong
  if (lead === 0xf4 && second >= 0x90) return 0; // above U+10FFFF
  return 4;
}

/**
 * The JavaScript decoder alone (no TextDecoder, no WebAssembly): the reference the WebAssembly
 * decoder is tested against.
 * @internal
 */
export function decodeUtf8Escaping(bytes: Uint8Array, offset: number, length: number): string {
  return decodeEscaping(bytes, offset, offset + length);
}

/**
 * The slow path for bytes that are not all UTF-8: valid sequences as text, the rest escaped.
 * Code units go into a Uint16Array (never more units than bytes) turned into a string in slices;
 * short input builds its string directly.
 */
function decodeEscaping(b: Uint8Array, start: number, end: number): string {
  const short = end - start <= SHORT_ASCII;
  const units = short ? undefined : new Uint16Array(end - start);
  let text = '';
  let u = 0;
  for (let i = start; i < end;) {
    const lead = b[i] as number;
    const n = lead < 0x80 ? 1 : sequenceLength(b, i, end);
    let code: number;
    if (n === 1) code = lead;
    else if (n === 0) code = ESCAPE_BASE + lead;
    else if (n === 2) code = ((lead & 0x1f) << 6) | ((b[i + 1] as number) & 0x3f);
    else if (n === 3) {
      code = ((lead & 0x0f) << 12) | (((b[i + 1] as number) & 0x3f) << 6);
      code |= (b[i + 2] as number) & 0x3f;
    } else {
      code = ((lead & 0x07) << 18) | (((b[i + 1] as number) & 0x3f) << 12);
      code |= (((b[i + 2] as number) & 0x3f) << 6) | ((b[i + 3] as number) & 0x3f);
    }
    i += n === 0 ? 1 : n;
    if (code >= 0x10000) {
      code -= 0x10000;
      const high = 0xd800 + (code >> 10);
      const low = 0xdc00 + (code & 0x3ff);
      if (units === undefined) text += String.fromCharCode(high, low);
      else {
        units[u++] = high;
        units[u++] = low;
      }
    } else if (units === undefined) text += String.fromCharCode(code);
    else units[u++] = code;
  }
  if (units === undefined) return text;
  return unitsToString(units, u);
}

/**
 * Node's `Buffer.prototype.ucs2Slice`, where it exists and the host is little-endian: it makes a
 * string of UTF-16 code units as they are, lone surrogates included, at memcpy speed (about 25
 * times faster than `String.fromCharCode.apply` over a typed array). Looked up, not imported:
 * this module stays free of Node imports.
 */
const ucs2Slice: ((this: Uint8Array, start: number, end: number) => string) | undefined =
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
    ? (
        globalThis as {
          Buffer?: { prototype: { ucs2Slice?: (start: number, end: number) => string } };
        }
      ).Buffer?.prototype.ucs2Slice
    : undefined;

/** The first `count` code units of `units` as a string. */
function unitsToString(units: Uint16Array, count: number): string {
  if (ucs2Slice !== undefined) {
    return ucs2Slice.call(new Uint8Array(units.buffer, 0, count * 2), 0, count * 2);
  }
  let text = '';
  // In slices: String.fromCharCode takes its units as arguments.
  for (let at = 0; at < count; at += 8192) {
    const slice = units.subarray(at, Math.min(count, at + 8192));
    text += String.fromCharCode.apply(null, slice as unknown as number[]);
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
