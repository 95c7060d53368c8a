import { UTF8_ESCAPE_WASM_BASE64 } from './utf8-escape-wasm.js';

/**
 * Longest string decoded in WebAssembly. Its memory holds the input and the output (3 bytes per
 * input byte) and never shrinks, so a larger string (a payload rather than a header) takes the
 * JavaScript path instead of leaving megabytes behind.
 */
export const WASM_UTF8_MAX_BYTES = 1 << 20;

/** The few WebAssembly APIs used (the project's TypeScript libs do not declare them). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}

interface Utf8EscapeExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  asciiLength(length: number): number;
  decode(length: number, out: number): number;
}

type Slice = (this: Uint8Array, start: number, end: number) => string;

interface Decoder {
  readonly exports: Utf8EscapeExports;
  /** A view of the memory, replaced when the memory grows. */
  view: Uint8Array;
  readonly ucs2: Slice;
  readonly latin1: Slice;
}

// undefined: not tried yet; null: unavailable (no WebAssembly, no Buffer slices, or big-endian).
let decoder: Decoder | null | undefined;

/**
 * `length` bytes at `offset` decoded as `decodeUtf8` does (bytes outside well-formed UTF-8
 * become U+DC80-U+DCFF), by the WebAssembly module of `utf8-escape.wat`; undefined when it cannot
 * run here (then the JavaScript decoder does the work).
 * @internal not covered by semver
 */
export function decodeUtf8Wasm(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string | undefined {
  if (decoder === undefined) decoder = createDecoder();
  if (decoder === null || length > WASM_UTF8_MAX_BYTES) return undefined;
  const { exports, ucs2, latin1 } = decoder;
  const out = (length + 1) & ~1;
  const need = out + 2 * length;
  if (decoder.view.length < need) {
    exports.memory.grow(Math.ceil((need - decoder.view.length) / 65536));
    decoder.view = new Uint8Array(exports.memory.buffer);
  }
  const view = decoder.view;
  view.set(bytes.subarray(offset, offset + length), 0);
  // All ASCII (a long token, a JSON value): the native one-byte decode of the original bytes.
  if (exports.asciiLength(length) === length) return latin1.call(bytes, offset, offset + length);
  const units = exports.decode(length, out);
  return ucs2.call(view, out, out + units * 2);
}

function createDecoder(): Decoder | null {
  const prototype = (globalThis as { Buffer?: { prototype: Partial<Record<string, Slice>> } })
    .Buffer?.prototype;
  const ucs2 = prototype?.['ucs2Slice'];
  const latin1 = prototype?.['latin1Slice'];
  // ucs2Slice reads code units in the host's byte order; the module writes little-endian ones.
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (ucs2 === undefined || latin1 === undefined || !littleEndian) return null;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  try {
    const bytes = Uint8Array.from(atob(UTF8_ESCAPE_WASM_BASE64), (c) => c.charCodeAt(0));
    const instance = new wasm.Instance(new wasm.Module(bytes));
    const exports = instance.exports as Utf8EscapeExports;
    return { exports, view: new Uint8Array(exports.memory.buffer), ucs2, latin1 };
  } catch {
    // WebAssembly disabled (node --jitless, a locked-down runtime): JavaScript it is.
    return null;
  }
}
