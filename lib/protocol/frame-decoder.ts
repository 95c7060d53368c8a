import { checkFixedHeader } from './fixed-header.js';
import type { Frame } from './frame.js';
import { FrameDecodeError } from './frame-decode-error.js';
import { FrameParser } from './frame-parser.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_KEYS,
  FIXED_HEADER_BYTES,
  LENGTH_FIXED_BYTES,
  MAX_FRAME_LENGTH,
  MIN_FRAME_LENGTH,
} from './ttheader-constants.js';

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest LENGTH field (bytes after the 4-byte length prefix) accepted; a frame declaring more
   * is rejected as soon as its 4 length bytes arrive. Default: {@link DEFAULT_MAX_FRAME_BYTES}
   * (64 MiB). Must be an integer between 14 and 0x7FFFFFFF.
   */
  readonly maxFrameBytes?: number;
  /**
   * Most key/value pairs (string and int keys together) in one frame's header; more is a
   * FrameDecodeError. Default {@link DEFAULT_MAX_HEADER_KEYS} (4096).
   */
  readonly maxHeaderKeys?: number;
  /**
   * Most header info bytes in one frame; more is a FrameDecodeError before anything is parsed.
   * Default {@link DEFAULT_MAX_HEADER_BYTES} (128 KiB).
   */
  readonly maxHeaderBytes?: number;
  /**
   * What to do with a frame whose LENGTH exceeds `maxFrameBytes`. `fail` (default): a
   * FrameDecodeError, the decoder is dead. `skip`: its fixed header and header info are decoded
   * as usual, its payload is read past without being kept, and the frame is returned with an
   * empty payload and `oversize` set to its LENGTH, so that only its stream is refused.
   */
  readonly oversize?: 'fail' | 'skip';
}

// Chunks shorter than this are copied byte by byte: cheaper than a subarray + set.
const SMALL_COPY = 64;

// A frame's buffer starts at most this big and doubles as bytes arrive (ending exactly at
// LENGTH), so a peer that declares 16 MiB and sends 14 bytes does not cost 16 MiB.
const INITIAL_BODY_BYTES = 64 * 1024;

/**
 * Streaming TTHeader Streaming frame decoder: feed it socket chunks of any size, get back every
 * frame they complete. Incomplete input is copied into one buffer per frame, allocated only once
 * the fixed header is valid and grown (doubling, amortised O(n)) with the bytes that actually
 * arrive, up to exactly LENGTH. Malformed input throws {@link FrameDecodeError}, after which the
 * decoder is dead and every later call rethrows the same error.
 *
 * Returned payloads (and frames wholly inside one chunk) are views into the pushed chunk or
 * into the decoder's per-frame buffer: do not modify a chunk after pushing it.
 */
export class FrameDecoder {
  /** The LENGTH cap in force. */
  readonly maxFrameBytes: number;
  private readonly parser: FrameParser;
  private readonly prefix = new Uint8Array(FIXED_HEADER_BYTES);
  private prefixLength = 0;
  /** The current frame's bytes after LENGTH, once its fixed header is valid. */
  private body: Uint8Array | undefined;
  private bodyLength = 0;
  private frameLength = 0;
  private error: FrameDecodeError | undefined;
  private readonly skipOversize: boolean;
  /** LENGTH of the oversize frame whose head is being read (0: none). */
  private oversizeLength = 0;
  /** Payload bytes of an oversize frame still to read past. */
  private skipBytes = 0;

  /** @throws RangeError when `maxFrameBytes` is not an integer in [14, 0x7FFFFFFF]. */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < MIN_FRAME_LENGTH || max > MAX_FRAME_LENGTH) {
      throw new RangeError(
        `maxFrameBytes must be an integer in [${MIN_FRAME_LENGTH}, ${MAX_FRAME_LENGTH}]`,
      );
    }
    this.maxFrameBytes = max;
    this.skipOversize = options.oversize === 'skip';
    this.parser = new FrameParser(
      options.maxHeaderKeys ?? DEFAULT_MAX_HEADER_KEYS,
      options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    );
  }

  /** True while a frame has begun to arrive and is not complete (its payload may be skipped). */
  get midFrame(): boolean {
    return this.body !== undefined || this.prefixLength > 0 || this.skipBytes > 0;
  }

  /** Bytes of the current incomplete frame held by the decoder (0 between frames). */
  get bufferedBytes(): number {
    return this.body === undefined ? this.prefixLength : 4 + this.bodyLength;
  }

  /**
   * Consumes `chunk` and returns the frames it completes, in order (often none).
   * @throws FrameDecodeError on malformed input; its `framesBefore` holds the frames this call
   * completed before the bad bytes.
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.error !== undefined) throw this.error;
    const frames: Frame[] = [];
    try {
      this.consume(chunk, frames);
    } catch (error) {
      if (!(error instanceof FrameDecodeError)) throw error;
      this.fail(new FrameDecodeError(error.detail, frames));
    }
    return frames;
  }

  /**
   * Signals the end of input (the peer closed).
   * @throws FrameDecodeError when a partial frame is buffered (a truncated frame).
   */
  end(): void {
    if (this.error !== undefined) throw this.error;
    if (this.skipBytes > 0) {
      this.fail(
        new FrameDecodeError(`truncated frame: input ended ${this.skipBytes} bytes before its end`),
      );
    }
    const buffered = this.bufferedBytes;
    if (buffered === 0) return;
    const expected = this.body === undefined ? '' : ` of ${4 + this.frameLength}`;
    this.fail(
      new FrameDecodeError(`truncated frame: input ended after ${buffered}${expected} bytes`),
    );
  }

  private fail(error: FrameDecodeError): never {
    this.error = error;
    this.body = undefined;
    this.bodyLength = 0;
    this.prefixLength = 0;
    throw error;
  }

  private consume(chunk: Uint8Array, frames: Frame[]): void {
    const size = chunk.length;
    let pos = 0;
    const lengthCap = this.skipOversize ? MAX_FRAME_LENGTH : this.maxFrameBytes;
    while (pos < size) {
      if (this.skipBytes > 0) {
        const skipped = Math.min(this.skipBytes, size - pos);
        this.skipBytes -= skipped;
        pos += skipped;
      } else if (this.body !== undefined) {
        const take = Math.min(this.frameLength - this.bodyLength, size - pos);
        const body = this.reserve(this.bodyLength + take);
        copy(chunk, pos, body, this.bodyLength, take);
        this.bodyLength += take;
        pos += take;
        if (this.bodyLength === this.frameLength) {
          this.body = undefined;
          this.bodyLength = 0;
          frames.push(this.finishFrame(body, 0));
        }
      } else if (this.prefixLength === 0 && size - pos >= FIXED_HEADER_BYTES) {
        // Zero-copy path: the fixed header is in this chunk, and often the whole frame is.
        const declared = checkFixedHeader(chunk, pos, FIXED_HEADER_BYTES, lengthCap);
        const length = this.headLength(chunk, pos, declared);
        if (size - pos - 4 >= length) {
          frames.push(this.finishFrame(chunk, pos + 4, length));
          pos += 4 + length;
        } else {
          const take = size - pos - 4;
          copy(chunk, pos + 4, this.start(length, take), 0, take);
          this.bodyLength = take;
          pos = size;
        }
      } else {
        const take = Math.min(FIXED_HEADER_BYTES - this.prefixLength, size - pos);
        copy(chunk, pos, this.prefix, this.prefixLength, take);
        this.prefixLength += take;
        pos += take;
        const declared = checkFixedHeader(this.prefix, 0, this.prefixLength, lengthCap);
        if (this.prefixLength === FIXED_HEADER_BYTES) {
          const length = this.headLength(this.prefix, 0, declared);
          // LENGTH >= 14, so the body always needs more than the 10 prefix bytes it starts with.
          copy(
            this.prefix,
            4,
            this.start(length, FIXED_HEADER_BYTES - 4),
            0,
            FIXED_HEADER_BYTES - 4,
          );
          this.bodyLength = FIXED_HEADER_BYTES - 4;
          this.prefixLength = 0;
        }
      }
    }
  }

  /**
   * The bytes of the frame to keep after LENGTH: all of them, or for an oversize frame (skip
   * mode) its fixed part and header info only, its payload being read past afterwards.
   */
  private headLength(bytes: Uint8Array, at: number, declared: number): number {
    if (declared <= this.maxFrameBytes) return declared;
    const words = ((bytes[at + 12] as number) << 8) | (bytes[at + 13] as number);
    this.oversizeLength = declared;
    return LENGTH_FIXED_BYTES + words * 4;
  }

  /** Parses the kept bytes; an oversize frame gets `oversize` and its payload is skipped next. */
  private finishFrame(bytes: Uint8Array, start: number, length = this.frameLength): Frame {
    const frame = this.parser.parse(bytes, start, length);
    const oversize = this.oversizeLength;
    if (oversize === 0) return frame;
    this.oversizeLength = 0;
    this.skipBytes = oversize - length;
    return { ...frame, oversize };
  }

  /** Starts buffering a frame whose fixed header is valid; `first` bytes are about to arrive. */
  private start(length: number, first: number): Uint8Array {
    this.frameLength = length;
    this.body = undefined;
    return this.reserve(first);
  }

  /** The frame buffer, grown if needed to hold `needed` bytes (never beyond LENGTH). */
  private reserve(needed: number): Uint8Array {
    const body = this.body;
    if (body !== undefined && body.length >= needed) return body;
    const current = body?.length ?? 0;
    const capacity = Math.min(this.frameLength, Math.max(needed, current * 2, INITIAL_BODY_BYTES));
    let grown: Uint8Array;
    try {
      grown = new Uint8Array(capacity);
    } catch {
      throw new FrameDecodeError(`cannot allocate ${capacity} bytes for a frame`);
    }
    if (body !== undefined) copy(body, 0, grown, 0, this.bodyLength);
    this.body = grown;
    return grown;
  }
}

function copy(from: Uint8Array, at: number, to: Uint8Array, toAt: number, count: number): void {
  if (count < SMALL_COPY) {
    for (let i = 0; i < count; i++) to[toAt + i] = from[at + i] as number;
  } else {
    to.set(from.subarray(at, at + count), toAt);
  }
}
