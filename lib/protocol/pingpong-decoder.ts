import { hexBytes, u16, u32 } from './big-endian.js';
import { BufferedMessageScanner, DEFAULT_MAX_BUFFERED_DEPTH } from './buffered-message-scanner.js';
import { EMPTY_INT_HEADERS, EMPTY_STR_HEADERS } from './empty-map.js';
import { FrameDecodeError } from './frame-decode-error.js';
import { FrameParser } from './frame-parser.js';
import { PingPongDecodeError } from './pingpong-decode-error.js';
import { measurePingPong, PINGPONG_BUFFERED, PINGPONG_NEED_MORE } from './pingpong-head.js';
import type { PingPongMessage } from './pingpong-message.js';
import { THRIFT_BINARY_VERSION_1 } from './pingpong-shape.js';
import {
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_KEYS,
  FIXED_HEADER_BYTES,
  MAX_FRAME_LENGTH,
  MIN_FRAME_LENGTH,
} from './ttheader-constants.js';

export type { PingPongMessage } from './pingpong-message.js';

/** Options of {@link PingPongDecoder}. */
export interface PingPongDecoderOptions {
  /**
   * Largest message accepted: a TTHeader LENGTH or a Framed length (bytes after the 4-byte
   * length), or a Buffered message's size. More is a FrameDecodeError as soon as the length
   * arrives (Buffered: as soon as the bytes or a declared length go past it). Default
   * {@link DEFAULT_MAX_MESSAGE_BYTES} (64 MiB); an integer between 14 and 0x7FFFFFFF.
   */
  readonly maxMessageBytes?: number;
  /** Most TTHeader key/value pairs in one message. Default `DEFAULT_MAX_HEADER_KEYS` (4096). */
  readonly maxHeaderKeys?: number;
  /** Most TTHeader header info bytes in one message. Default `DEFAULT_MAX_HEADER_BYTES`. */
  readonly maxHeaderBytes?: number;
  /** Deepest struct/container nesting of a Buffered message. Default 64. */
  readonly maxDepth?: number;
}

/** Default cap on one ping-pong message: 64 MiB, as ttstream's frame cap. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Protocol ids a ping-pong TTHeader may carry: Thrift Binary, the only one we speak. */
const PINGPONG_PROTOCOL_IDS: ReadonlySet<number> = new Set([0x00]);

// The buffer of a message that spans chunks starts this small and doubles as its bytes arrive,
// so a peer that declares 2 GiB and sends 14 bytes costs 4 KiB.
const INITIAL_BYTES = 4 * 1024;
const SMALL_COPY = 64;

// What the message being received is known to be.
const NONE = 0; // nothing yet, or too few bytes to tell
const LENGTHED = 1; // TTHeader or Framed: `total` bytes
const BUFFERED = 2;

/**
 * Decodes the ping-pong (unary and oneway) messages of one connection: feed it socket chunks of
 * any size, get back every message they complete. The shape (TTHeader, TTHeader + Framed,
 * Framed, Buffered) is told per message, so one connection may mix them, as Kitex allows.
 * Only strict Thrift Binary is accepted.
 *
 * Nothing is sized from a declared length: a message that spans chunks is copied into a buffer
 * that grows (doubling) with the bytes that actually arrive. A Buffered message, which declares
 * no length, is delimited by a resumable scanner: O(bytes) however the bytes are split.
 * Malformed input throws a {@link PingPongDecodeError} (a FrameDecodeError), after which the
 * decoder is dead and every later call rethrows it.
 *
 * Returned messages may be views into a pushed chunk: do not modify a chunk after pushing it.
 */
export class PingPongDecoder {
  /** The message size cap in force. */
  readonly maxMessageBytes: number;
  private readonly maxHeaderBytes: number;
  private readonly parser: FrameParser;
  private readonly scanner: BufferedMessageScanner;
  private kind = NONE;
  /** Bytes of the current message held (from its first byte), once it spans chunks. */
  private buf: Uint8Array | undefined;
  private held = 0;
  /** A LENGTHED message's size, length prefix included. */
  private total = 0;
  private error: PingPongDecodeError | undefined;

  /** @throws RangeError on an option out of range. */
  constructor(options: PingPongDecoderOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < MIN_FRAME_LENGTH || max > MAX_FRAME_LENGTH) {
      throw new RangeError(
        `maxMessageBytes must be an integer in [${MIN_FRAME_LENGTH}, ${MAX_FRAME_LENGTH}]`,
      );
    }
    const depth = options.maxDepth ?? DEFAULT_MAX_BUFFERED_DEPTH;
    if (!Number.isInteger(depth) || depth < 1) {
      throw new RangeError('maxDepth must be a positive integer');
    }
    this.maxMessageBytes = max;
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.parser = new FrameParser(
      options.maxHeaderKeys ?? DEFAULT_MAX_HEADER_KEYS,
      this.maxHeaderBytes,
    );
    this.scanner = new BufferedMessageScanner(max, depth);
  }

  /** Bytes of the current incomplete message held by the decoder (0 between messages). */
  get bufferedBytes(): number {
    return this.held;
  }

  /** True while a message has begun to arrive and is not complete. */
  get midMessage(): boolean {
    return this.held > 0 || this.kind !== NONE;
  }

  /**
   * Consumes `chunk` and returns the messages it completes, in order (often none).
   * @throws PingPongDecodeError (a FrameDecodeError) on malformed input; its `messagesBefore`
   * holds the messages this call completed before the bad bytes.
   */
  push(chunk: Uint8Array): PingPongMessage[] {
    if (this.error !== undefined) throw this.error;
    const messages: PingPongMessage[] = [];
    try {
      this.consume(chunk, messages);
    } catch (error) {
      if (!(error instanceof FrameDecodeError)) throw error;
      this.error = new PingPongDecodeError(error.detail, messages);
      this.buf = undefined;
      this.held = 0;
      this.kind = NONE;
      throw this.error;
    }
    return messages;
  }

  private consume(chunk: Uint8Array, out: PingPongMessage[]): void {
    const size = chunk.length;
    let pos = 0;
    while (pos < size) {
      if (this.kind === BUFFERED) {
        const end = this.scanner.scan(chunk, pos, size);
        const stop = end < 0 ? size : end;
        this.append(chunk, pos, stop, this.maxMessageBytes);
        pos = stop;
        if (end >= 0) out.push(bufferedMessage(this.take()));
      } else if (this.kind === LENGTHED) {
        const stop = pos + Math.min(this.total - this.held, size - pos);
        this.append(chunk, pos, stop, this.total);
        pos = stop;
        if (this.held === this.total) {
          const total = this.total;
          out.push(this.lengthed(this.take(), 0, total));
        }
      } else if (this.held === 0) {
        // Zero-copy path: the head is in this chunk, and often the whole message is.
        const measured = this.measure(chunk, pos, size - pos);
        if (measured === PINGPONG_BUFFERED) {
          this.kind = BUFFERED;
          const end = this.scanner.scan(chunk, pos, size);
          if (end >= 0) {
            out.push(bufferedMessage(chunk.subarray(pos, end)));
            this.kind = NONE;
            pos = end;
          } else {
            this.append(chunk, pos, size, this.maxMessageBytes);
            pos = size;
          }
        } else if (measured !== PINGPONG_NEED_MORE && size - pos >= measured) {
          out.push(this.lengthed(chunk, pos, measured));
          pos += measured;
        } else {
          if (measured !== PINGPONG_NEED_MORE) this.startLengthed(measured);
          this.append(chunk, pos, size, this.kind === LENGTHED ? this.total : FIXED_HEADER_BYTES);
          pos = size;
        }
      } else {
        // A head split across chunks: one byte at a time (at most 14), so that no byte of the
        // next message is taken into this one.
        this.append(chunk, pos, pos + 1, FIXED_HEADER_BYTES);
        pos++;
        const buf = this.buf as Uint8Array;
        const measured = this.measure(buf, 0, this.held);
        if (measured === PINGPONG_BUFFERED) {
          this.kind = BUFFERED;
          this.scanner.scan(buf, 0, this.held); // 2 bytes: never a whole message
        } else if (measured !== PINGPONG_NEED_MORE) {
          this.startLengthed(measured);
        }
      }
    }
  }

  private measure(bytes: Uint8Array, at: number, available: number): number {
    return measurePingPong(bytes, at, available, this.maxMessageBytes, this.maxHeaderBytes);
  }

  private startLengthed(total: number): void {
    this.kind = LENGTHED;
    this.total = total;
    if (this.buf !== undefined && this.buf.length < Math.min(total, INITIAL_BYTES)) {
      this.grow(Math.min(total, INITIAL_BYTES), total);
    }
  }

  /** The held message, handed over; the decoder is ready for the next one. */
  private take(): Uint8Array {
    const bytes = (this.buf as Uint8Array).subarray(0, this.held);
    this.buf = undefined;
    this.held = 0;
    this.kind = NONE;
    return bytes;
  }

  /** Appends `chunk[from, to)` to the held bytes; the buffer never grows past `cap`. */
  private append(chunk: Uint8Array, from: number, to: number, cap: number): void {
    const count = to - from;
    const needed = this.held + count;
    if (this.buf === undefined || this.buf.length < needed) this.grow(needed, cap);
    const buf = this.buf as Uint8Array;
    if (count < SMALL_COPY) {
      for (let i = 0; i < count; i++) buf[this.held + i] = chunk[from + i] as number;
    } else {
      buf.set(chunk.subarray(from, to), this.held);
    }
    this.held = needed;
  }

  private grow(needed: number, cap: number): void {
    const current = this.buf?.length ?? 0;
    const capacity = Math.max(needed, Math.min(cap, Math.max(current * 2, INITIAL_BYTES)));
    let grown: Uint8Array;
    try {
      grown = new Uint8Array(capacity);
    } catch {
      throw new FrameDecodeError(`cannot allocate ${capacity} bytes for a message`);
    }
    if (this.buf !== undefined) grown.set(this.buf.subarray(0, this.held));
    this.buf = grown;
  }

  /** A complete TTHeader or Framed message of `total` bytes at `at` (head checked). */
  private lengthed(bytes: Uint8Array, at: number, total: number): PingPongMessage {
    const end = at + total;
    if (u16(bytes, at + 4) === THRIFT_BINARY_VERSION_1) {
      return {
        shape: 'framed',
        headerSeqId: undefined,
        intHeaders: EMPTY_INT_HEADERS,
        strHeaders: EMPTY_STR_HEADERS,
        message: bytes.subarray(at + 4, end),
      };
    }
    const infoStart = at + FIXED_HEADER_BYTES;
    const infoEnd = infoStart + u16(bytes, at + 12) * 4;
    const protocolId = bytes[infoStart] as number;
    if (protocolId !== 0) {
      throw new FrameDecodeError(
        `TTHeader protocol id 0x${protocolId.toString(16).padStart(2, '0')} on a ping-pong ` +
          'connection: only Thrift Binary (0x00) is supported',
      );
    }
    const { intHeaders, strHeaders } = this.parser.parseHeaderInfo(
      bytes,
      infoStart,
      infoEnd,
      PINGPONG_PROTOCOL_IDS,
    );
    const payload = bytes.subarray(infoEnd, end);
    const headerSeqId = u32(bytes, at + 8) | 0;
    if (payload.length >= 2 && u16(payload, 0) === THRIFT_BINARY_VERSION_1) {
      return { shape: 'ttheader', headerSeqId, intHeaders, strHeaders, message: payload };
    }
    if (payload.length >= 6 && u16(payload, 4) === THRIFT_BINARY_VERSION_1) {
      const framed = u32(payload, 0);
      if (framed !== payload.length - 4) {
        throw new FrameDecodeError(
          `TTHeader + Framed: framed length ${framed} does not match the ` +
            `${payload.length - 4} payload bytes after it`,
        );
      }
      const message = payload.subarray(4);
      return { shape: 'ttheader-framed', headerSeqId, intHeaders, strHeaders, message };
    }
    throw new FrameDecodeError(
      `TTHeader payload of ${payload.length} bytes is not a strict Thrift Binary message ` +
        `(Framed or not); it starts 0x${hexBytes(payload, 0, 8)}`,
    );
  }
}

function bufferedMessage(message: Uint8Array): PingPongMessage {
  return {
    shape: 'buffered',
    headerSeqId: undefined,
    intHeaders: EMPTY_INT_HEADERS,
    strHeaders: EMPTY_STR_HEADERS,
    message,
  };
}
