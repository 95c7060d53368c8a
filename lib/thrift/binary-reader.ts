import { decodeUtf8 as decodeUtf8Lossless } from '../protocol/utf8.js';
import { DecodeProblem } from './decode-problem.js';
import { decodeShortString, SHORT_STRING_MAX } from './short-string-cache.js';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Node's `Buffer.prototype.utf8Slice` when running on Node: it decodes straight from any
 * Uint8Array without the `subarray` view TextDecoder needs, about a third faster for the strings
 * of a typical message. Looked up, not imported, so the codec still runs where there is no Node.
 */
const utf8Slice = (
  globalThis as { Buffer?: { prototype: { utf8Slice?: (start: number, end: number) => string } } }
).Buffer?.prototype.utf8Slice;

/**
 * UTF-8 bytes to a string, losslessly: Go strings are bytes, and a Kitex peer may put bytes that
 * are not UTF-8 in a `string` field. The fast decoders replace such bytes with U+FFFD, so a
 * result holding U+FFFD is decoded again with each stray byte kept as U+DC80-U+DCFF
 * ("surrogateescape", as header strings are); the writer turns those back into the same bytes.
 */
function decodeUtf8Slice(buf: Uint8Array, start: number, end: number): string {
  const text =
    utf8Slice !== undefined
      ? utf8Slice.call(buf, start, end)
      : decoder.decode(buf.subarray(start, end));
  return text.indexOf('\uFFFD') === -1 ? text : decodeUtf8Lossless(buf, start, end - start);
}

/** UTF-8 bytes to a string: by hand for short ASCII, else through TextDecoder. */
function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 8) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) return decodeUtf8Slice(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeUtf8Slice(buf, start, end);
}

// 8-byte values go through a scratch buffer as two native-endian 32-bit words, each assembled
// with shifts from the big-endian input (cheaper than eight byte copies or a DataView).
const scratch = new ArrayBuffer(8);
const scratchWords = new Int32Array(scratch);
const scratchF64 = new Float64Array(scratch);
const scratchI64 = new BigInt64Array(scratch);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;
const TWO_32 = 2 ** 32;

/**
 * A bounds-checked big-endian reader over one Thrift Binary payload. Every read checks the bytes
 * remaining first and throws a {@link DecodeProblem} instead of reading past the end; lengths are
 * checked against the remaining bytes before anything is allocated.
 *
 * @internal not covered by semver
 */
export class BinaryReader {
  readonly buf: Uint8Array;
  /** The next byte to read. */
  pos = 0;
  /** The current struct and container nesting depth. */
  depth = 0;
  /** The deepest nesting allowed. */
  readonly maxDepth: number;

  constructor(bytes: Uint8Array, maxDepth = 64) {
    this.buf = bytes;
    this.maxDepth = maxDepth;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private truncated(n: number): DecodeProblem {
    return new DecodeProblem(
      `truncated input: need ${n} bytes at offset ${this.pos}, ${this.buf.length - this.pos} left`,
    );
  }

  /** Enters a struct or container; throws when nesting is deeper than the limit. */
  enter(): void {
    if (++this.depth > this.maxDepth) {
      throw new DecodeProblem(`nesting deeper than ${this.maxDepth} levels`);
    }
  }

  leave(): void {
    this.depth--;
  }

  readByte(): number {
    if (this.pos >= this.buf.length) throw this.truncated(1);
    return this.buf[this.pos++] as number;
  }

  readI8(): number {
    return (this.readByte() << 24) >> 24;
  }

  readI16(): number {
    const p = this.pos;
    if (p + 2 > this.buf.length) throw this.truncated(2);
    const b = this.buf;
    this.pos = p + 2;
    return (((b[p] as number) << 24) | ((b[p + 1] as number) << 16)) >> 16;
  }

  readI32(): number {
    const p = this.pos;
    if (p + 4 > this.buf.length) throw this.truncated(4);
    const b = this.buf;
    this.pos = p + 4;
    return (
      ((b[p] as number) << 24) |
      ((b[p + 1] as number) << 16) |
      ((b[p + 2] as number) << 8) |
      (b[p + 3] as number)
    );
  }

  /** The big-endian 32-bit word at `p`, which the caller has checked is in range. */
  private wordAt(p: number): number {
    const b = this.buf;
    return (
      ((b[p] as number) << 24) |
      ((b[p + 1] as number) << 16) |
      ((b[p + 2] as number) << 8) |
      (b[p + 3] as number)
    );
  }

  /** Copies the next 8 bytes into the native-endian scratch buffer. */
  private load8(): void {
    const p = this.pos;
    if (p + 8 > this.buf.length) throw this.truncated(8);
    scratchWords[HI] = this.wordAt(p);
    scratchWords[LO] = this.wordAt(p + 4);
    this.pos = p + 8;
  }

  readI64(): bigint {
    this.load8();
    return scratchI64[0] as bigint;
  }

  /** An i64 as a number; throws when it is not a safe integer. */
  readI64Number(): number {
    const p = this.pos;
    if (p + 8 > this.buf.length) throw this.truncated(8);
    // Exact whenever the result is safe: |hi| < 2^21 puts it within +-2^53.
    const v = this.wordAt(p) * TWO_32 + (this.wordAt(p + 4) >>> 0);
    if (!Number.isSafeInteger(v)) {
      const exact = this.readI64();
      this.pos = p;
      throw new DecodeProblem(`i64 ${exact.toString()} is not a safe integer`);
    }
    this.pos = p + 8;
    return v;
  }

  readDouble(): number {
    this.load8();
    return scratchF64[0] as number;
  }

  // Bulk readers for lists of fixed-width values. The caller has checked with readCount that
  // `count` elements fit in what is left, so there is no per-element bounds check.

  readBoolArray(count: number): boolean[] {
    const b = this.buf;
    const p = this.pos;
    const out = new Array<boolean>(count);
    for (let i = 0; i < count; i++) out[i] = b[p + i] !== 0;
    this.pos = p + count;
    return out;
  }

  readI8Array(count: number): number[] {
    const b = this.buf;
    const p = this.pos;
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = ((b[p + i] as number) << 24) >> 24;
    this.pos = p + count;
    return out;
  }

  readI16Array(count: number): number[] {
    const b = this.buf;
    let p = this.pos;
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++, p += 2) {
      out[i] = (((b[p] as number) << 24) | ((b[p + 1] as number) << 16)) >> 16;
    }
    this.pos = p;
    return out;
  }

  readI32Array(count: number): number[] {
    const b = this.buf;
    let p = this.pos;
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++, p += 4) {
      out[i] =
        ((b[p] as number) << 24) |
        ((b[p + 1] as number) << 16) |
        ((b[p + 2] as number) << 8) |
        (b[p + 3] as number);
    }
    this.pos = p;
    return out;
  }

  readI64Array(count: number): bigint[] {
    const out = new Array<bigint>(count);
    for (let i = 0; i < count; i++) out[i] = this.readI64();
    return out;
  }

  readDoubleArray(count: number): number[] {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = this.readDouble();
    return out;
  }

  /** A byte length: an i32 that is not negative and not more than the bytes left. */
  readLength(): number {
    const n = this.readI32();
    if (n < 0) throw new DecodeProblem(`negative length ${n}`);
    if (n > this.buf.length - this.pos) {
      throw new DecodeProblem(`length ${n} exceeds the ${this.buf.length - this.pos} bytes left`);
    }
    return n;
  }

  /**
   * A container element count: not negative, and `count * minElementBytes` fits in what is left,
   * so a forged count can neither allocate much nor loop long.
   */
  readCount(minElementBytes: number): number {
    const n = this.readI32();
    if (n < 0) throw new DecodeProblem(`negative container size ${n}`);
    if (n * minElementBytes > this.buf.length - this.pos) {
      throw new DecodeProblem(
        `container size ${n} exceeds the ${this.buf.length - this.pos} bytes left`,
      );
    }
    return n;
  }

  readString(): string {
    const n = this.readLength();
    const start = this.pos;
    this.pos = start + n;
    if (n === 0) return '';
    if (n <= SHORT_STRING_MAX) return decodeShortString(this.buf, start, n, decodeUtf8);
    return decodeUtf8Slice(this.buf, start, start + n);
  }

  /**
   * A copy of the next `binary` value as a plain Uint8Array (even when the input is a Buffer),
   * so the result does not pin the whole payload.
   */
  readBinary(): Uint8Array {
    const n = this.readLength();
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** Moves past `n` bytes. */
  skipBytes(n: number): void {
    if (n > this.buf.length - this.pos) throw this.truncated(n);
    this.pos += n;
  }
}
