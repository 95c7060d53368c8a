// Issue 11: caps on the header keys and header bytes of one received frame.
import { describe, expect, it } from '@jest/globals';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { FrameDecodeError } from '../../../lib/protocol/frame-decode-error.js';
import {
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_KEYS,
} from '../../../lib/protocol/ttheader-constants.js';
import { bareBlocks, concat, rawFrame, strBlock } from './helpers.js';

/** A DATA frame whose header holds `count` string pairs of `size`-byte keys. */
function frameWithKeys(count: number, size = 4): Uint8Array {
  const pairs = Array.from(
    { length: count },
    (_, i) => [String(i).padStart(size, '0'), ''] as const,
  );
  return rawFrame({ blocks: concat(bareBlocks(), strBlock(pairs)) });
}

const decodeError = (decoder: FrameDecoder, bytes: Uint8Array): FrameDecodeError => {
  try {
    decoder.push(bytes);
  } catch (error) {
    return error as FrameDecodeError;
  }
  throw new Error('decoded');
};

describe('header limits of FrameDecoder', () => {
  it('defaults: 4096 keys and 128 KiB of header info', () => {
    expect(DEFAULT_MAX_HEADER_KEYS).toBe(4096);
    expect(DEFAULT_MAX_HEADER_BYTES).toBe(128 * 1024);
  });

  it('accepts the most keys allowed (two int keys included), refuses one more', () => {
    const [frame] = new FrameDecoder().push(frameWithKeys(DEFAULT_MAX_HEADER_KEYS - 2));
    expect(frame?.strHeaders.size).toBe(DEFAULT_MAX_HEADER_KEYS - 2);
    const error = decodeError(new FrameDecoder(), frameWithKeys(DEFAULT_MAX_HEADER_KEYS - 1));
    expect(error).toBeInstanceOf(FrameDecodeError);
    expect(error.message).toContain('header has over 4096 keys (maxHeaderKeys)');
  });

  it('counts keys across blocks, and takes a smaller cap', () => {
    const blocks = concat(bareBlocks(), strBlock([['a', '1']]), strBlock([['b', '2']]));
    expect(new FrameDecoder({ maxHeaderKeys: 4 }).push(rawFrame({ blocks }))).toHaveLength(1);
    const error = decodeError(new FrameDecoder({ maxHeaderKeys: 3 }), rawFrame({ blocks }));
    expect(error.message).toContain('header has over 3 keys');
  });

  it('refuses header info over maxHeaderBytes before parsing it', () => {
    // 3000 keys of 40 bytes: about 132 KB of header info.
    const big = frameWithKeys(3000, 40);
    const error = decodeError(new FrameDecoder(), big);
    expect(error.message).toMatch(/header info of \d+ bytes exceeds maxHeaderBytes 131072/);
    const [frame] = new FrameDecoder({ maxHeaderBytes: 256 * 1024 }).push(big);
    expect(frame?.strHeaders.size).toBe(3000);
  });
});
