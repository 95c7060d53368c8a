import { copyOut } from './byte-slab.js';
import { encodeUtf8 } from '../protocol/utf8.js';

/**
 * A growable big-endian byte writer for the Thrift Binary protocol. Capacity doubles when it
 * runs out, so a message costs amortised O(1) work per byte; `finish()` copies the written
 * bytes out, so one writer can be reused for many messages.
 *
 * @internal not covered by semver
 */
export class BinaryWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  pos = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Forgets what was written; keeps the buffer unless it grew beyond `maxRetained` bytes. */
  reset(maxRetained = 1 << 20): void {
    this.pos = 0;
    if (this.buf.length > maxRetained) {
      this.buf = new Uint8Array(1024);
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** A copy of the bytes written since the last reset (small ones share a slab). */
  finish(): Uint8Array {
    return copyOut(this.buf, this.pos);
  }

  private grow(needed: number): void {
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(this.pos + n);
  }

  writeByte(value: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(this.pos + 1);
    this.buf[this.pos++] = value;
  }

  /** A field header: type byte then big-endian i16 field id. */
  writeFieldHeader(type: number, id: number): void {
    if (this.pos + 3 > this.buf.length) this.grow(this.pos + 3);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = type;
    buf[p + 1] = (id >> 8) & 0xff;
    buf[p + 2] = id & 0xff;
    this.pos = p + 3;
  }

  writeI16(value: number): void {
    if (this.pos + 2 > this.buf.length) this.grow(this.pos + 2);
    this.view.setInt16(this.pos, value);
    this.pos += 2;
  }

  writeI32(value: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(this.pos + 4);
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }

  writeI64(value: bigint): void {
    if (this.pos + 8 > this.buf.length) this.grow(this.pos + 8);
    this.view.setBigInt64(this.pos, value);
    this.pos += 8;
  }

  /** An i64 from a safe integer, without going through bigint. */
  writeI64Number(value: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(this.pos + 8);
    const hi = Math.floor(value / 0x100000000);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, value - hi * 0x100000000);
    this.pos += 8;
  }

  writeDouble(value: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(this.pos + 8);
    this.view.setFloat64(this.pos, value);
    this.pos += 8;
  }

  /** An i32 length then the raw bytes. */
  writeBinary(value: Uint8Array): void {
    const n = value.length;
    this.writeI32(n);
    if (this.pos + n > this.buf.length) this.grow(this.pos + n);
    this.buf.set(value, this.pos);
    this.pos += n;
  }

  /** An i32 byte length then the UTF-8 bytes of `value`. */
  writeString(value: string): void {
    const n = value.length;
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    if (this.pos + 4 + n * 3 > this.buf.length) this.grow(this.pos + 4 + n * 3);
    const buf = this.buf;
    const start = this.pos + 4;
    let written = -1;
    if (n < 64) {
      // Short ASCII strings are cheaper to copy by hand than through TextEncoder.
      let p = start;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          p = -1;
          break;
        }
        buf[p++] = c;
      }
      if (p >= 0) written = p - start;
    }
    if (written < 0) {
      if (isWellFormed(value)) written = encoder.encodeInto(value, buf.subarray(start)).written;
      else {
        // Lone surrogates: U+DC80-U+DCFF are bytes a peer sent that were not UTF-8 (see
        // BinaryReader), written back as those bytes; any other becomes U+FFFD.
        const bytes = encodeUtf8(value);
        buf.set(bytes, start);
        written = bytes.length;
      }
    }
    this.view.setInt32(this.pos, written);
    this.pos = start + written;
  }
}

const encoder = new TextEncoder();

/** `String.prototype.isWellFormed` (Node >= 20), with a scan where it is missing. */
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : wellFormedScan;

/** True when `text` has no lone surrogate. */
function wellFormedScan(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return false;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return false;
  }
  return true;
}
