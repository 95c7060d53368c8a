import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  decodeApplicationExceptionMessage,
  encodeApplicationExceptionMessage,
} from '../../../lib/thrift/application-exception.js';
import { ThriftDecodeError } from '../../../lib/thrift/thrift-errors.js';
import { TTStreamErrorCode } from '../../../lib/errors/index.js';
import { hex, unhex } from './hex.js';

// Spec section 9, V7 payload: type 6, `biz error: test error`, method ServerStream, stream 1.
const V7 =
  '800100030000000c53657276657253747265616d000000010b00010000001562697a206572726f723a2074657374206572726f720800020000000600';
const V6_MESSAGE =
  'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively';
const V6 =
  '800100030000000c53657276657253747265616d000000010b000100000082' +
  Buffer.from(V6_MESSAGE).toString('hex') +
  '08000200002ee700';

function decodeError(bytes: Uint8Array): ThriftDecodeError {
  try {
    decodeApplicationExceptionMessage(bytes);
  } catch (error) {
    if (error instanceof ThriftDecodeError) return error;
    throw error;
  }
  throw new Error('decoded without error');
}

describe('TApplicationException message', () => {
  it('encodes vector V7 byte for byte', () => {
    const bytes = encodeApplicationExceptionMessage({
      method: 'ServerStream',
      seqId: 1,
      typeId: 6,
      message: 'biz error: test error',
    });
    expect(hex(bytes)).toBe(V7);
  });

  it('encodes vector V6 (code 12007) byte for byte', () => {
    const bytes = encodeApplicationExceptionMessage({
      method: 'ServerStream',
      seqId: 1,
      typeId: 12007,
      message: V6_MESSAGE,
    });
    expect(hex(bytes)).toBe(V6);
  });

  it('decodes V7', () => {
    expect(decodeApplicationExceptionMessage(unhex(V7))).toEqual({
      method: 'ServerStream',
      seqId: 1,
      typeId: 6,
      message: 'biz error: test error',
    });
  });

  it('decodes V6', () => {
    const ex = decodeApplicationExceptionMessage(unhex(V6));
    expect(ex.typeId).toBe(12007);
    expect(ex.message).toBe(V6_MESSAGE);
  });

  it('round-trips any method, seq id, type id and message', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.string({ unit: 'grapheme' }),
        (method, seqId, typeId, message) => {
          const ex = { method, seqId, typeId, message };
          expect(decodeApplicationExceptionMessage(encodeApplicationExceptionMessage(ex))).toEqual(
            ex,
          );
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('skips unknown fields and reads fields in any order', () => {
    // type first, then an unknown list<i32> field 9, then the message.
    const bytes = unhex(
      '80010003' +
        '00000001' +
        '4d' +
        '00000007' +
        '0800020000000f' +
        '0f00090800000002' +
        '0000000100000002' +
        '0b000100000002' +
        '6869' +
        '00',
    );
    expect(decodeApplicationExceptionMessage(bytes)).toEqual({
      method: 'M',
      seqId: 7,
      typeId: 15,
      message: 'hi',
    });
  });

  it('reads a missing message as empty and a missing type as 0', () => {
    expect(
      decodeApplicationExceptionMessage(unhex('8001000300000000' + '00000003' + '00')),
    ).toEqual({ method: '', seqId: 3, typeId: 0, message: '' });
  });

  it('rejects a non-strict or other-version message', () => {
    // Old non-strict encoding: name length first.
    const nonStrict = decodeError(unhex('0000000c53657276657253747265616d030000000100'));
    expect(nonStrict.kind).toBe(TTStreamErrorCode.IllegalFrame);
    expect(nonStrict.detail).toMatch(/not a strict Binary message/);
    expect(decodeError(unhex('800200030000000000000000')).detail).toMatch(
      /not a strict Binary message/,
    );
  });

  it('rejects message types other than EXCEPTION', () => {
    expect(decodeError(unhex('80010002000000000000000100')).detail).toMatch(
      /message type 2 is not EXCEPTION/,
    );
  });

  it('rejects truncated input at every length', () => {
    const full = unhex(V7);
    for (let n = 0; n < full.length; n++) {
      expect(decodeError(full.subarray(0, n)).detail).toMatch(/^TApplicationException: /);
    }
  });

  it('rejects a name length beyond the input', () => {
    expect(decodeError(unhex('800100037fffffff41')).detail).toMatch(/exceeds/);
    expect(decodeError(unhex('80010003ffffffff41')).detail).toMatch(/negative length/);
  });

  it('gives only ThriftDecodeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        const bytes = new Uint8Array([0x80, 0x01, 0x00, 0x03, ...tail]);
        try {
          decodeApplicationExceptionMessage(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ThriftDecodeError);
        }
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});
