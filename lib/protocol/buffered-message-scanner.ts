import { FrameDecodeError } from './frame-decode-error.js';

/** Default deepest struct/container nesting of a Buffered message (as the struct codec's). */
export const DEFAULT_MAX_BUFFERED_DEPTH = 64;

// Thrift Binary wire types (lib/thrift/ttype.ts; protocol does not import thrift). The
// fixed-width ones (BOOL 2, BYTE 3, DOUBLE 4, I16 6, I32 8, I64 10) are handled through the
// tables below.
const STOP = 0;
const STRING = 11;
const STRUCT = 12;
const MAP = 13;
const SET = 14;
const LIST = 15;

/**
 * Fewest bytes one value of each wire type takes (0: not a value type). Fixed-width types take
 * exactly that many, so a list of them is skipped in one go.
 */
const MIN_BYTES = [0, 0, 1, 1, 8, 0, 2, 0, 4, 0, 8, 4, 1, 6, 5, 5];
const FIXED = [false, false, true, true, true, false, true, false, true, false, true];

// What the bytes being read (accumulated into `acc`) or skipped are.
const OP_VERSION = 0;
const OP_NAME_LENGTH = 1;
const OP_NAME = 2;
const OP_SEQ_ID = 3;
const OP_FIELD_TYPE = 4;
const OP_FIELD_ID = 5;
const OP_VALUE = 6; // a fixed-width value, a string's bytes or a list of fixed-width values
const OP_STRING_LENGTH = 7;
const OP_ELEMENT_TYPE = 8;
const OP_LIST_COUNT = 9;
const OP_KEY_TYPE = 10;
const OP_VALUE_TYPE = 11;
const OP_MAP_COUNT = 12;

/**
 * Finds where a strict Thrift Binary message ends (envelope, then one struct) without decoding
 * it: the only way to delimit a Buffered (unframed) message. Resumable: bytes may arrive in any
 * pieces, and each byte is looked at once, so a message costs O(its bytes) however it is split.
 * It never allocates from a declared length (a length is a number of bytes to skip), refuses a
 * declared length or count that cannot fit in `maxMessageBytes`, and bounds the nesting depth.
 * @internal not covered by semver
 */
export class BufferedMessageScanner {
  private op = OP_VERSION;
  /** Bytes still to read (into `acc`) or skip for `op`. */
  private need = 4;
  private skipping = false;
  private acc = 0;
  /** Bytes of the current message scanned so far. */
  private count = 0;
  /** The element type (list/set, map value) or field type awaiting its header's next part. */
  private pendingType = 0;
  private pendingKeyType = 0;
  // The open structs and containers, innermost last: kind, items left (a map counts keys and
  // values), element or key type, value type.
  private depth = 0;
  private readonly kinds: number[] = [];
  private readonly left: number[] = [];
  private readonly types: number[] = [];
  private readonly valueTypes: number[] = [];
  private work = 0;

  /**
   * @param maxMessageBytes largest message accepted, in bytes.
   * @param maxDepth deepest struct/container nesting accepted (the message's struct is 1).
   */
  constructor(
    private readonly maxMessageBytes: number,
    private readonly maxDepth = DEFAULT_MAX_BUFFERED_DEPTH,
  ) {}

  /** Bytes of the current message scanned so far (0 between messages). */
  get scanned(): number {
    return this.count;
  }

  /** Scanner steps since construction: a measure of work, for tests. */
  get steps(): number {
    return this.work;
  }

  /** Forgets the current message: the next byte scanned is a message's first. */
  reset(): void {
    this.op = OP_VERSION;
    this.need = 4;
    this.skipping = false;
    this.acc = 0;
    this.count = 0;
    this.depth = 0;
  }

  /**
   * Scans `bytes[start, end)`, the continuation of the current message.
   * @returns the offset just past the message's last byte once it ends there (the scanner is
   * then reset for the next message), or -1 when all the bytes belong to the unfinished message.
   * @throws FrameDecodeError on bytes that are not a strict Binary message, a negative length or
   * count, a bad wire type, nesting over `maxDepth`, or a message over `maxMessageBytes`.
   */
  scan(bytes: Uint8Array, start: number, end: number): number {
    let pos = start;
    for (;;) {
      this.work++;
      if (this.need > 0) {
        const from = pos;
        if (this.skipping) {
          pos += Math.min(this.need, end - pos);
          this.need -= pos - from;
        } else {
          let acc = this.acc;
          let need = this.need;
          // Multiplication, not shifts: a u32 stays positive.
          while (need > 0 && pos < end) {
            acc = acc * 256 + (bytes[pos++] as number);
            need--;
          }
          this.acc = acc;
          this.need = need;
        }
        this.count += pos - from;
        if (this.count > this.maxMessageBytes) this.tooBig();
        if (this.need > 0) return -1;
      }
      if (this.complete()) {
        this.reset();
        return pos;
      }
    }
  }

  /** Acts on the value just read or the bytes just skipped; true when the message ended. */
  private complete(): boolean {
    const value = this.acc;
    this.acc = 0;
    switch (this.op) {
      case OP_VERSION:
        if (value >>> 16 !== 0x8001) {
          throw new FrameDecodeError(
            `not a strict Thrift Binary message: version word 0x${value.toString(16).padStart(8, '0')}`,
          );
        }
        return this.read(OP_NAME_LENGTH, 4);
      case OP_NAME_LENGTH:
        return this.skip(OP_NAME, this.length(value, 'method name'));
      case OP_NAME:
        return this.skip(OP_SEQ_ID, 4);
      case OP_SEQ_ID:
        return this.begin(STRUCT);
      case OP_FIELD_TYPE:
        if (value === STOP) {
          this.depth--;
          return this.next();
        }
        this.pendingType = this.wireType(value, 'field');
        return this.skip(OP_FIELD_ID, 2);
      case OP_FIELD_ID:
        return this.begin(this.pendingType);
      case OP_VALUE:
        return this.next();
      case OP_STRING_LENGTH:
        return this.skip(OP_VALUE, this.length(value, 'string'));
      case OP_ELEMENT_TYPE:
        this.pendingType = this.wireType(value, 'element');
        return this.read(OP_LIST_COUNT, 4);
      case OP_LIST_COUNT: {
        const type = this.pendingType;
        const items = this.items(value, MIN_BYTES[type] as number);
        if (FIXED[type] === true) return this.skip(OP_VALUE, items * (MIN_BYTES[type] as number));
        this.push(LIST, items, type, 0);
        return this.next();
      }
      case OP_KEY_TYPE:
        this.pendingKeyType = this.wireType(value, 'map key');
        return this.read(OP_VALUE_TYPE, 1);
      case OP_VALUE_TYPE:
        this.pendingType = this.wireType(value, 'map value');
        return this.read(OP_MAP_COUNT, 4);
      case OP_MAP_COUNT: {
        const key = this.pendingKeyType;
        const type = this.pendingType;
        const pair = (MIN_BYTES[key] as number) + (MIN_BYTES[type] as number);
        const items = this.items(value, pair);
        if (FIXED[key] === true && FIXED[type] === true) return this.skip(OP_VALUE, items * pair);
        this.push(MAP, items * 2, key, type);
        return this.next();
      }
      default:
        throw new Error(`unreachable scanner op ${this.op}`);
    }
  }

  /** Starts a value of wire type `type`. */
  private begin(type: number): boolean {
    switch (type) {
      case STRING:
        return this.read(OP_STRING_LENGTH, 4);
      case STRUCT:
        this.push(STRUCT, 0, 0, 0);
        return this.read(OP_FIELD_TYPE, 1);
      case MAP:
        this.enter();
        return this.read(OP_KEY_TYPE, 1);
      case SET:
      case LIST:
        this.enter();
        return this.read(OP_ELEMENT_TYPE, 1);
      default:
        // Validated on the way in: a fixed-width type.
        return this.skip(OP_VALUE, MIN_BYTES[type] as number);
    }
  }

  /** A value ended: goes on with what encloses it. True when it was the message's struct. */
  private next(): boolean {
    for (;;) {
      this.work++;
      const top = this.depth - 1;
      if (top < 0) return true;
      const kind = this.kinds[top] as number;
      if (kind === STRUCT) return this.read(OP_FIELD_TYPE, 1);
      const left = (this.left[top] as number) - 1;
      if (left < 0) {
        this.depth--;
        continue;
      }
      this.left[top] = left;
      // A map's items alternate key, value: with 2n items, an odd count left means a key next.
      const type = kind === MAP && left % 2 === 1 ? this.types[top] : this.valueTypes[top];
      return this.begin(type as number);
    }
  }

  /** Checks the depth for a container whose header is about to be read. */
  private enter(): void {
    if (this.depth + 1 > this.maxDepth) {
      throw new FrameDecodeError(
        `Buffered message nests deeper than ${this.maxDepth} levels (maxDepth)`,
      );
    }
  }

  private push(kind: number, items: number, type: number, valueType: number): void {
    this.enter();
    const at = this.depth++;
    this.kinds[at] = kind;
    this.left[at] = items;
    this.types[at] = type;
    // A list's elements all have `type`; next() reads valueTypes for non-key items.
    this.valueTypes[at] = kind === MAP ? valueType : type;
  }

  private read(op: number, bytes: number): false {
    this.op = op;
    this.need = bytes;
    this.skipping = false;
    return false;
  }

  private skip(op: number, bytes: number): false {
    this.op = op;
    this.need = bytes;
    this.skipping = true;
    return false;
  }

  /** A wire type that can hold a value, or a decode error naming where it was. */
  private wireType(type: number, what: string): number {
    if ((MIN_BYTES[type] ?? 0) === 0) {
      throw new FrameDecodeError(
        `bad ${what} type ${type} in a Buffered message at offset ${this.count - 1}`,
      );
    }
    return type;
  }

  /** A declared byte length: not negative, and within what maxMessageBytes leaves. */
  private length(u32: number, what: string): number {
    const length = u32 | 0;
    if (length < 0) {
      throw new FrameDecodeError(`negative ${what} length ${length} in a Buffered message`);
    }
    this.fits(length, `${what} of ${length} bytes`);
    return length;
  }

  /** A declared container count: not negative, and its smallest size fits. */
  private items(u32: number, minBytes: number): number {
    const items = u32 | 0;
    if (items < 0) {
      throw new FrameDecodeError(`negative container size ${items} in a Buffered message`);
    }
    this.fits(items * minBytes, `container of ${items} items`);
    return items;
  }

  private fits(bytes: number, what: string): void {
    if (bytes > this.maxMessageBytes - this.count) {
      throw new FrameDecodeError(
        `${what} cannot fit in maxMessageBytes ${this.maxMessageBytes} ` +
          `(${this.count} bytes of the Buffered message read)`,
      );
    }
  }

  private tooBig(): never {
    throw new FrameDecodeError(
      `Buffered message exceeds maxMessageBytes ${this.maxMessageBytes} ` +
        `(${this.count} bytes read)`,
    );
  }
}
