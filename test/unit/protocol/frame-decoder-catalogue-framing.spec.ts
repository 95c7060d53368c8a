import { describe, expect, it } from '@jest/globals';
import { FrameDecodeError } from '../../../lib/protocol/frame-decode-error.js';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../../lib/protocol/ttheader-constants.js';
import { arrayBufferBytes, decodeError, decodeOne, exactFrame, V2 } from './decode-helpers.js';
import { bareBlocks, concat, plain, rawFrame, u32 } from './helpers.js';

// test-matrix.md section 5.1, items 1-8: framing and the fixed header.
describe('bad-input catalogue', () => {
  describe('1. empty input and a partial fixed header', () => {
    it('returns nothing for empty input', () => {
      const decoder = new FrameDecoder();
      expect(decoder.push(new Uint8Array(0))).toEqual([]);
      expect(decoder.bufferedBytes).toBe(0);
      expect(() => {
        decoder.end();
      }).not.toThrow();
    });

    it.each(Array.from({ length: 13 }, (_, i) => i + 1))(
      '%i bytes: waits without EOF, then completes',
      (count) => {
        const decoder = new FrameDecoder();
        expect(decoder.push(V2.subarray(0, count))).toEqual([]);
        expect(decoder.bufferedBytes).toBe(count);
        expect(decoder.push(V2.subarray(count)).map(plain)).toEqual([plain(decodeOne(V2))]);
      },
    );

    it.each(Array.from({ length: 13 }, (_, i) => i + 1))(
      '%i bytes then EOF: truncated frame',
      (count) => {
        const decoder = new FrameDecoder();
        decoder.push(V2.subarray(0, count));
        expect(() => {
          decoder.end();
        }).toThrow(
          new RegExp(
            `^\\[ttstream error, code=12004\\] truncated frame: input ended after ${count} bytes$`,
          ),
        );
      },
    );
  });

  describe('2. LENGTH out of range, rejected after the 4 length bytes', () => {
    it.each([0, 1, 9, 10, 13])('LENGTH %i is below the minimum', (length) => {
      const decoder = new FrameDecoder();
      const error = decodeError(u32(length), decoder);
      expect(error.detail).toBe(`frame length ${length} is below the minimum 14`);
    });

    it.each([
      [0x3fffffff, ''],
      [0x7fffffff, ''],
      [0xffffffff, ' \\(reserved top bit set\\)'],
    ])('LENGTH %i exceeds maxFrameBytes', (length, why) => {
      const error = decodeError(u32(length));
      expect(error.detail).toMatch(
        new RegExp(`^frame length ${length}${why} exceeds maxFrameBytes 67108864$`),
      );
    });

    it.each([0x7fffffff, 0xffffffff])(
      'LENGTH %i with a valid fixed header and 1 MiB behind it allocates nothing',
      (length) => {
        const chunk = concat(rawFrame({ length }).subarray(0, 14), new Uint8Array(1 << 20));
        const decoder = new FrameDecoder({ maxFrameBytes: 0x7fffffff - 1 });
        const before = arrayBufferBytes();
        expect(() => decoder.push(chunk)).toThrow(FrameDecodeError);
        expect(arrayBufferBytes() - before).toBeLessThan(64 * 1024);
        expect(decoder.bufferedBytes).toBe(0);
      },
    );

    it('LENGTH 0x7FFFFFFF allowed by maxFrameBytes buffers only what arrived', () => {
      const chunk = concat(
        rawFrame({ length: 0x7fffffff }).subarray(0, 14),
        new Uint8Array(1 << 20),
      );
      const decoder = new FrameDecoder({ maxFrameBytes: 0x7fffffff });
      const before = arrayBufferBytes();
      expect(decoder.push(chunk)).toEqual([]);
      expect(decoder.bufferedBytes).toBe(chunk.length);
      expect(arrayBufferBytes() - before).toBeLessThan(3 * (1 << 20));
    });
  });

  describe('3. LENGTH smaller than 10 + HEADER_SIZE * 4', () => {
    it.each([
      [20, 3],
      [14, 2],
      [21, 3],
    ])('LENGTH %i with %i header words', (length, words) => {
      const error = decodeError(rawFrame({ length, headerWords: words }).subarray(0, 14));
      expect(error.detail).toBe(
        `header size ${words} words (${words * 4} bytes) exceeds frame length ${length}`,
      );
    });

    it('LENGTH exactly 10 + HEADER_SIZE * 4 (no payload) is accepted', () => {
      const frame = decodeOne(rawFrame());
      expect(frame.payload).toHaveLength(0);
    });
  });

  describe('4. LENGTH larger than what arrives, or than maxFrameBytes', () => {
    it('truncated: waits for the rest, and EOF raises a truncated-frame error', () => {
      const frame = rawFrame({ payload: new Uint8Array(1000) });
      const decoder = new FrameDecoder();
      expect(decoder.push(frame.subarray(0, 500))).toEqual([]);
      expect(decoder.bufferedBytes).toBe(500);
      expect(() => {
        decoder.end();
      }).toThrow(`truncated frame: input ended after 500 of ${frame.length} bytes`);
    });

    it('over maxFrameBytes: rejected after the 4 length bytes, nothing buffered (P-4)', () => {
      const decoder = new FrameDecoder({ maxFrameBytes: 1000 });
      const error = decodeError(u32(1001), decoder);
      expect(error.detail).toBe('frame length 1001 exceeds maxFrameBytes 1000');
      expect(decoder.bufferedBytes).toBe(0);
    });

    it('over maxFrameBytes with a large chunk behind it: nothing buffered', () => {
      const decoder = new FrameDecoder({ maxFrameBytes: 1000 });
      const oversized = rawFrame({ payload: new Uint8Array(2000) });
      expect(() => decoder.push(oversized)).toThrow(/exceeds maxFrameBytes 1000$/);
      expect(decoder.bufferedBytes).toBe(0);
    });

    it('LENGTH equal to maxFrameBytes is accepted', () => {
      const frame = rawFrame({ payload: new Uint8Array(1000 - 10 - 28) });
      expect(frame.length).toBe(1004);
      const decoder = new FrameDecoder({ maxFrameBytes: 1000 });
      expect(decoder.push(frame)).toHaveLength(1);
    });

    it('the default cap is 64 MiB: LENGTH 64 MiB waits, 64 MiB + 1 is rejected', () => {
      const prefix = (length: number) => rawFrame({ length }).subarray(0, 14);
      const atLimit = new FrameDecoder();
      expect(atLimit.push(prefix(DEFAULT_MAX_FRAME_BYTES))).toEqual([]);
      expect(atLimit.bufferedBytes).toBe(14);
      expect(decodeError(prefix(DEFAULT_MAX_FRAME_BYTES + 1)).detail).toBe(
        `frame length ${DEFAULT_MAX_FRAME_BYTES + 1} exceeds maxFrameBytes ${DEFAULT_MAX_FRAME_BYTES}`,
      );
    });
  });

  describe('5. wrong magic', () => {
    it.each([
      [0x0fff, 'bad magic 0x0fff'],
      [0x1001, 'bad magic 0x1001'],
      [0x8001, 'bad magic 0x8001'],
      [0x4745, 'bad magic 0x4745'],
      [0xffaf, 'bad magic 0xffaf'],
    ])('magic 0x%s', (magic, detail) => {
      expect(decodeError(rawFrame({ magic })).detail).toBe(detail);
    });

    it('is rejected once bytes 4-5 arrive, before the rest of the header', () => {
      expect(decodeError(rawFrame({ magic: 0x0fff }).subarray(0, 6)).detail).toBe(
        'bad magic 0x0fff',
      );
    });

    it('an HTTP request is rejected on its first 4 bytes ("GET " as LENGTH)', () => {
      const http = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(decodeError(http).detail).toBe(
        'frame length 1195725856 exceeds maxFrameBytes 67108864',
      );
    });

    it('a Thrift unary message is rejected', () => {
      // framed binary: LENGTH 0x20, then 0x8001 0x0001 (strict version, CALL)
      const thrift = concat(u32(32), Uint8Array.of(0x80, 0x01, 0x00, 0x01), new Uint8Array(28));
      expect(decodeError(thrift).detail).toBe('bad magic 0x8001');
    });

    it('correct magic with garbage flags: decided by the streaming bit alone', () => {
      expect(decodeError(rawFrame({ flags: 0xfffd })).detail).toBe(
        'streaming flag 0x0002 not set in flags 0xfffd',
      );
      expect(decodeOne(rawFrame({ flags: 0xabcf })).type).toBe(3);
    });
  });

  describe('6. flags', () => {
    it.each([0x0000, 0x0001, 0x0008, 0x0010, 0xfffd])(
      '0x%s without 0x0002 is rejected',
      (flags) => {
        expect(decodeError(rawFrame({ flags })).detail).toBe(
          `streaming flag 0x0002 not set in flags 0x${flags.toString(16).padStart(4, '0')}`,
        );
      },
    );

    it.each([0xffff, 0x0003, 0x000a, 0x001b, 0x8002])(
      '0x%s (streaming plus unknown bits) is accepted and decodes the same',
      (flags) => {
        expect(plain(decodeOne(rawFrame({ flags })))).toEqual(plain(decodeOne(rawFrame())));
      },
    );
  });

  describe('7. sequence ids', () => {
    it.each([
      [0, 0],
      [-1, -1],
      [0x7fffffff, 0x7fffffff],
      [0x80000000, -0x80000000],
    ])('seq id %i decodes as stream id %i', (seq, streamId) => {
      expect(decodeOne(rawFrame({ streamId: seq })).streamId).toBe(streamId);
    });
  });

  describe('8. header size', () => {
    it('0 words is rejected', () => {
      expect(decodeError(rawFrame({ headerWords: 0 })).detail).toBe(
        'header size 0: the header info needs at least one 4-byte word',
      );
    });

    it('1 word (protocol id, transform count, 2 padding bytes) lacks the frame type', () => {
      expect(decodeError(exactFrame(Uint8Array.of(0x10, 0, 0, 0))).detail).toBe(
        'frame type (int key 27) is missing',
      );
    });

    it.each([16384, 16385, 65535])('%i words, padded with zeros, is accepted', (words) => {
      const blocks = concat(bareBlocks(), new Uint8Array(words * 4 - 2 - 24));
      const bytes = exactFrame(concat(Uint8Array.of(0x10, 0), blocks));
      expect(bytes.length).toBe(14 + words * 4);
      const frame = decodeOne(bytes);
      expect(frame.method).toBe('ServerStream');
      expect(frame.payload).toHaveLength(0);
    });

    it('65535 words with a short LENGTH is rejected on the fixed header', () => {
      expect(decodeError(rawFrame({ headerWords: 65535 }).subarray(0, 14)).detail).toBe(
        'header size 65535 words (262140 bytes) exceeds frame length 38',
      );
    });
  });
});
