import { EMPTY_INT_HEADERS, EMPTY_STR_HEADERS } from './empty-map.js';
import type { Frame } from './frame.js';
import { FrameDecodeError } from './frame-decode-error.js';
import { HEADER_GDPR_TOKEN } from './header-keys.js';
import { IntHeaderKey } from './int-header-key.js';
import { ACCEPTED_PROTOCOL_IDS, InfoId, LENGTH_FIXED_BYTES } from './ttheader-constants.js';
import { decodeUtf8 } from './utf8.js';

// Longest method whose bytes are kept to recognise the next frame's method without decoding.
const METHOD_CACHE_BYTES = 128;

/**
 * Parses one complete frame whose fixed header was already checked by `checkFixedHeader`, or
 * (`parseHeaderInfo`) the header info of a ping-pong TTHeader message, with the same limits and
 * string decoding. Keeps the last method's bytes: consecutive frames of one stream reuse the
 * same string.
 * @internal not covered by semver
 */
export class FrameParser {
  private bytes: Uint8Array = new Uint8Array(0);
  private at = 0;
  private end = 0;
  private infoStart = 0;
  private lastMethodBytes: Uint8Array = new Uint8Array(0);
  private lastMethod = '';
  // What readInfo found, handed over through fields: no result object per frame.
  private typeAt = -1;
  private typeLength = 0;
  private frameMethod = '';
  private intHeaders: Map<number, string> | undefined;
  private strHeaders: Map<string, string> | undefined;

  /**
   * @param maxHeaderKeys most key/value pairs (string and int) in one frame.
   * @param maxHeaderBytes most header info bytes in one frame.
   */
  constructor(
    private readonly maxHeaderKeys = Infinity,
    private readonly maxHeaderBytes = Infinity,
  ) {}

  /**
   * @param bytes holds the frame.
   * @param start offset of the magic (the byte after LENGTH).
   * @param length the frame's LENGTH: bytes from `start` to the end of the payload.
   */
  parse(bytes: Uint8Array, start: number, length: number): Frame {
    const end = start + length;
    const streamId =
      ((bytes[start + 4] as number) << 24) |
      ((bytes[start + 5] as number) << 16) |
      ((bytes[start + 6] as number) << 8) |
      (bytes[start + 7] as number);
    const infoBytes = (((bytes[start + 8] as number) << 8) | (bytes[start + 9] as number)) * 4;
    const infoStart = start + LENGTH_FIXED_BYTES;
    const infoEnd = infoStart + infoBytes;
    this.readInfo(bytes, infoStart, infoEnd, ACCEPTED_PROTOCOL_IDS, true);
    const intHeaders = this.intHeaders ?? EMPTY_INT_HEADERS;
    const strHeaders = this.strHeaders ?? EMPTY_STR_HEADERS;
    this.intHeaders = undefined; // the parser outlives the frame: do not hold its maps
    this.strHeaders = undefined;
    return {
      type: frameType(bytes, this.typeAt, this.typeLength),
      streamId,
      method: this.frameMethod,
      intHeaders,
      strHeaders,
      payload: bytes.subarray(infoEnd, end),
    };
  }

  /**
   * Reads the header info area `bytes[infoStart, infoEnd)` of a TTHeader message that is not a
   * ttstream frame (ping-pong): every int key, 27 and 9 included, stays in `intHeaders`.
   * @param protocolIds the protocol ids accepted; any other is a decode error.
   */
  parseHeaderInfo(
    bytes: Uint8Array,
    infoStart: number,
    infoEnd: number,
    protocolIds: ReadonlySet<number>,
  ): { intHeaders: ReadonlyMap<number, string>; strHeaders: ReadonlyMap<string, string> } {
    this.readInfo(bytes, infoStart, infoEnd, protocolIds, false);
    const headers = {
      intHeaders: this.intHeaders ?? EMPTY_INT_HEADERS,
      strHeaders: this.strHeaders ?? EMPTY_STR_HEADERS,
    };
    this.intHeaders = undefined;
    this.strHeaders = undefined;
    return headers;
  }

  /**
   * Checks the size cap and protocol id, skips the transform ids and reads the info blocks into
   * `intHeaders`, `strHeaders` and, when `lift` is set (ttstream), `typeAt`/`typeLength` for int
   * key 27 and `frameMethod` for int key 9 instead of `intHeaders`.
   */
  private readInfo(
    bytes: Uint8Array,
    infoStart: number,
    infoEnd: number,
    protocolIds: ReadonlySet<number>,
    lift: boolean,
  ): void {
    const infoBytes = infoEnd - infoStart;
    if (infoBytes > this.maxHeaderBytes) {
      throw new FrameDecodeError(
        `header info of ${infoBytes} bytes exceeds maxHeaderBytes ${this.maxHeaderBytes}`,
      );
    }
    this.bytes = bytes;
    this.infoStart = infoStart;
    this.end = infoEnd;

    const protocolId = bytes[infoStart] as number;
    if (!protocolIds.has(protocolId)) {
      throw new FrameDecodeError(`unsupported protocol id 0x${hex8(protocolId)}`);
    }
    // Transform ids are skipped: Kitex reads them and applies none.
    const transforms = bytes[infoStart + 1] as number;
    this.at = infoStart + 2 + transforms;
    if (this.at > infoEnd) {
      throw new FrameDecodeError(
        `${transforms} transform ids do not fit in a ${infoBytes}-byte header info`,
      );
    }

    let typeAt = -1;
    let typeLength = 0;
    let method = '';
    let intHeaders: Map<number, string> | undefined;
    let strHeaders: Map<string, string> | undefined;
    let keys = 0;
    while (this.at < infoEnd) {
      const infoId = bytes[this.at++] as number;
      switch (infoId) {
        case InfoId.Padding:
          break;
        case InfoId.KeyValue: {
          const count = this.readU16('string KV count');
          keys = this.countKeys(keys, count);
          strHeaders ??= new Map();
          for (let i = 0; i < count; i++) {
            const key = this.readString('string KV key');
            strHeaders.set(key, this.readString('string KV value'));
          }
          break;
        }
        case InfoId.IntKeyValue: {
          const count = this.readU16('int KV count');
          keys = this.countKeys(keys, count);
          for (let i = 0; i < count; i++) {
            const key = this.readU16('int KV key');
            const valueLength = this.readU16('int KV value length');
            this.need(valueLength, 'int KV value');
            if (lift && key === IntHeaderKey.FrameType) {
              typeAt = this.at; // validated once, after the last duplicate (last wins)
              typeLength = valueLength;
            } else if (lift && key === IntHeaderKey.ToMethod) {
              method = this.method(valueLength);
            } else {
              intHeaders ??= new Map();
              intHeaders.set(key, decodeUtf8(bytes, this.at, valueLength));
            }
            this.at += valueLength;
          }
          break;
        }
        case InfoId.ACLToken:
          strHeaders ??= new Map();
          strHeaders.set(HEADER_GDPR_TOKEN, this.readString('ACL token'));
          break;
        default:
          throw new FrameDecodeError(
            `unknown info id 0x${hex8(infoId)} at header info offset ${this.at - 1 - infoStart}`,
          );
      }
    }
    this.bytes = EMPTY; // do not pin the caller's buffer between frames
    this.typeAt = typeAt;
    this.typeLength = typeLength;
    this.frameMethod = method;
    this.intHeaders = intHeaders;
    this.strHeaders = strHeaders;
  }

  /** Adds a block's pairs to those of the frame so far; too many is a decode error. */
  private countKeys(sofar: number, count: number): number {
    const keys = sofar + count;
    if (keys > this.maxHeaderKeys) {
      throw new FrameDecodeError(
        `header has over ${this.maxHeaderKeys} keys (maxHeaderKeys): ${keys} declared so far`,
      );
    }
    return keys;
  }

  private need(count: number, what: string): void {
    if (this.at + count > this.end) {
      const offset = this.at - this.infoStart;
      throw new FrameDecodeError(
        `${what} truncated: needs ${count} bytes at header info offset ${offset}, ` +
          `${Math.max(0, this.end - this.at)} left`,
      );
    }
  }

  private readU16(what: string): number {
    this.need(2, what);
    const at = this.at;
    this.at = at + 2;
    return ((this.bytes[at] as number) << 8) | (this.bytes[at + 1] as number);
  }

  private readString(what: string): string {
    const length = this.readU16(`${what} length`);
    this.need(length, what);
    const text = decodeUtf8(this.bytes, this.at, length);
    this.at += length;
    return text;
  }

  private method(length: number): string {
    const bytes = this.bytes;
    const at = this.at;
    const last = this.lastMethodBytes;
    if (length === last.length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (bytes[at + i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastMethod;
    }
    const text = decodeUtf8(bytes, at, length);
    if (length <= METHOD_CACHE_BYTES) {
      this.lastMethodBytes = bytes.slice(at, at + length);
      this.lastMethod = text;
    }
    return text;
  }
}

const EMPTY = new Uint8Array(0);

/** Int key 27 must be a canonical non-negative decimal int32; unknown values pass through. */
function frameType(bytes: Uint8Array, at: number, length: number): number {
  if (at < 0) throw new FrameDecodeError('frame type (int key 27) is missing');
  if (length === 1) {
    const digit = (bytes[at] as number) - 0x30;
    if (digit >= 0 && digit <= 9) return digit;
  } else if (length > 1 && length <= 10 && bytes[at] !== 0x30) {
    let value = 0;
    for (let i = at; i < at + length; i++) {
      const digit = (bytes[i] as number) - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      if (i === at + length - 1 && value <= 0x7fffffff) return value;
    }
  }
  const text = JSON.stringify(decodeUtf8(bytes, at, Math.min(length, 32)));
  const more = length > 32 ? ` (${length} bytes)` : '';
  throw new FrameDecodeError(
    `frame type (int key 27) ${text}${more} is not a canonical decimal int32`,
  );
}

function hex8(value: number): string {
  return value.toString(16).padStart(2, '0');
}
