// encodePingPong: layout details and refusals (FrameEncodeError, nothing produced).
import { describe, expect, it } from '@jest/globals';
import { FrameEncodeError } from '../../../lib/protocol/frame-encode-error.js';
import { HEADER_GDPR_TOKEN } from '../../../lib/protocol/header-keys.js';
import { encodePingPong, type PingPongInit } from '../../../lib/protocol/pingpong-encoder.js';
import { MAX_HEADER_INFO_BYTES } from '../../../lib/protocol/ttheader-constants.js';
import { fromHex, toHex } from './helpers.js';
import { thriftMessage } from './pingpong-helpers.js';

const MESSAGE = thriftMessage('M', 1, 1);

function encodeError(init: PingPongInit): FrameEncodeError {
  try {
    encodePingPong(init);
  } catch (error) {
    expect(error).toBeInstanceOf(FrameEncodeError);
    return error as FrameEncodeError;
  }
  throw new Error('encoded');
}

describe('encodePingPong', () => {
  it('writes a TTHeader with FLAGS 0, protocol id 0, no transforms and no blocks', () => {
    const bytes = encodePingPong({ shape: 'ttheader', seqId: -2, message: MESSAGE });
    expect(toHex(bytes.subarray(0, 18))).toBe(
      toHex(fromHex('0000001c 1000 0000 fffffffe 0001 00 00 0000')),
    );
    expect(toHex(bytes.subarray(18))).toBe(toHex(MESSAGE));
  });

  it('writes the ACL token block, then string keys, then int keys, padded', () => {
    const bytes = encodePingPong({
      shape: 'ttheader',
      seqId: 1,
      strHeaders: new Map([
        ['k', 'v'],
        [HEADER_GDPR_TOKEN, 't'],
      ]),
      intHeaders: new Map([[9, 'M']]),
      message: MESSAGE,
    });
    // 2 + (1+2+1) + (1+2+2+1+2+1) + (1+2+2+2+1) = 23 bytes, padded to 24 (6 words).
    expect(toHex(bytes.subarray(12, 14 + 24))).toBe(
      toHex(fromHex('0006 00 00 11 0001 74 01 0001 0001 6b 0001 76 10 0001 0009 0001 4d 00')),
    );
  });

  it('writes int keys 27 and 9 as given (ping-pong lifts nothing)', () => {
    const bytes = encodePingPong({
      shape: 'ttheader',
      seqId: 1,
      intHeaders: new Map([[27, 'x']]),
      message: MESSAGE,
    });
    expect(toHex(bytes.subarray(16, 24))).toBe('100001001b000178');
  });

  it('ignores headers in the Framed and Buffered shapes, which cannot carry them', () => {
    const headers = { intHeaders: new Map([[9, 'M']]), strHeaders: new Map([['k', 'v']]) };
    expect(encodePingPong({ shape: 'framed', seqId: 1, message: MESSAGE, ...headers })).toEqual(
      encodePingPong({ shape: 'framed', seqId: 1, message: MESSAGE }),
    );
    expect(encodePingPong({ shape: 'buffered', seqId: 1, message: MESSAGE, ...headers })).toBe(
      MESSAGE,
    );
  });

  it.each([
    ['a seq id over int32', { seqId: 0x80000000 }, 'seq id 2147483648 is not an int32'],
    ['a seq id under int32', { seqId: -0x80000001 }, 'seq id -2147483649 is not an int32'],
    ['a fractional seq id', { seqId: 0.5 }, 'seq id 0.5 is not an int32'],
    ['a NaN seq id', { seqId: NaN }, 'seq id NaN is not an int32'],
    [
      'a bare struct',
      { message: Uint8Array.of(0) },
      'message is not a strict Thrift Binary message (0x8001...)',
    ],
    [
      'a non-strict message',
      { message: fromHex('00000001 4d 01 00000001 00') },
      'message is not a strict Thrift Binary message',
    ],
    ['an unknown shape', { shape: 'mesh' as never }, 'unknown ping-pong shape "mesh"'],
    [
      'an int key over u16',
      { intHeaders: new Map([[0x10000, 'x']]) },
      'int header key 65536 is not a u16',
    ],
    [
      'a string value over 64 KiB',
      { strHeaders: new Map([['k', 'x'.repeat(70000)]]) },
      'value of string header "k" is at least 70000 UTF-8 bytes, over the 65535-byte limit',
    ],
    [
      'header info over the limit',
      {
        strHeaders: new Map([
          ['a', 'x'.repeat(40000)],
          ['b', 'x'.repeat(40000)],
        ]),
      },
      `over the ${MAX_HEADER_INFO_BYTES}-byte limit`,
    ],
  ])('refuses %s', (_, change, detail) => {
    const init: PingPongInit = { shape: 'ttheader', seqId: 1, message: MESSAGE, ...change };
    expect(encodeError(init).detail).toContain(detail);
  });

  it('checks the seq id and message in every shape', () => {
    for (const shape of ['framed', 'buffered', 'ttheader-framed'] as const) {
      expect(encodeError({ shape, seqId: 2 ** 40, message: MESSAGE }).detail).toContain('seq id');
      expect(encodeError({ shape, seqId: 1, message: new Uint8Array(0) }).detail).toContain(
        'not a strict',
      );
    }
  });
});
