// The strict Binary message envelope of ping-pong calls (pingpong-protocol.md section 3).
import { describe, expect, it } from '@jest/globals';
import {
  decodeThriftMessageHeader,
  encodeThriftMessage,
  MAX_MESSAGE_NAME_BYTES,
  ThriftMessageType,
} from '../../../lib/thrift/message-envelope.js';
import { ThriftDecodeError, ThriftEncodeError } from '../../../lib/thrift/thrift-errors.js';
import { hex, unhex } from './hex.js';

function decodeError(bytes: Uint8Array): ThriftDecodeError {
  try {
    decodeThriftMessageHeader(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ThriftDecodeError);
    return error as ThriftDecodeError;
  }
  throw new Error('decoded');
}

function encodeError(run: () => unknown): ThriftEncodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ThriftEncodeError);
    return error as ThriftEncodeError;
  }
  throw new Error('encoded');
}

describe('Thrift message envelope', () => {
  it('has the four message types', () => {
    expect(ThriftMessageType).toEqual({ Call: 1, Reply: 2, Exception: 3, Oneway: 4 });
  });

  it('encodes version word, name, seq id, then the body as given', () => {
    const bytes = encodeThriftMessage(
      { name: 'Echo', type: ThriftMessageType.Call, seqId: 7 },
      Uint8Array.of(0),
    );
    expect(hex(bytes)).toBe('80010001' + '00000004' + '4563686f' + '00000007' + '00');
    const reply = encodeThriftMessage(
      { name: '', type: ThriftMessageType.Reply, seqId: -1 },
      unhex('0b000100000000 00'),
    );
    expect(hex(reply)).toBe('80010002' + '00000000' + 'ffffffff' + '0b00010000000000');
  });

  it.each([
    ['call', ThriftMessageType.Call, 'Echo', 1],
    ['reply', ThriftMessageType.Reply, 'ServerStream', 0x7fffffff],
    ['exception', ThriftMessageType.Exception, 'métier ✓', -0x80000000],
    ['oneway', ThriftMessageType.Oneway, '', 0],
  ])('round-trips a %s', (_, type, name, seqId) => {
    const body = unhex('08000100000005 00');
    const bytes = encodeThriftMessage({ name, type, seqId }, body);
    const header = decodeThriftMessageHeader(bytes);
    expect(header).toEqual({ name, type, seqId, bodyOffset: bytes.length - body.length });
    expect(hex(bytes.subarray(header.bodyOffset))).toBe(hex(body));
  });

  it('ignores bits 8-15 of the version word, as Kitex and Apache Thrift do', () => {
    const header = decodeThriftMessageHeader(unhex('8001ff04 00000001 4d 00000002 00'));
    expect(header).toEqual({ name: 'M', type: 4, seqId: 2, bodyOffset: 13 });
  });

  it('keeps name bytes that are not UTF-8 (as U+DC80-U+DCFF)', () => {
    const header = decodeThriftMessageHeader(unhex('80010001 00000002 41ff 00000001 00'));
    expect(header.name).toBe('A\udcff');
  });

  it('refuses the old non-strict form', () => {
    const error = decodeError(unhex('00000004 4563686f 01 00000007 00'));
    expect(error.message).toContain('not a strict Binary message (first word 0x00000004)');
    expect(error.message).toContain('non-strict form is not supported');
  });

  it.each([
    ['another version', '80020001 00000000 00000000 00', 'bad version 0x8002 (expected 0x8001)'],
    ['message type 0', '80010000 00000000 00000000 00', 'unknown message type 0'],
    ['message type 5', '80010005 00000000 00000000 00', 'unknown message type 5'],
    ['a negative name length', '80010001 ffffffff 00000000 00', 'negative length -1'],
    [
      'a name over 64 KiB',
      '80010001 00010001 00000000',
      `name length 65537 exceeds the ${MAX_MESSAGE_NAME_BYTES}-byte limit`,
    ],
    ['a name cut short', '80010001 00000004 4563', 'length 4 exceeds the 2 bytes left'],
    ['no seq id', '80010001 00000001 4d 0000', 'truncated input: need 4 bytes'],
    ['no version word', '8001', 'truncated input: need 4 bytes at offset 0'],
    ['nothing', '', 'truncated input'],
  ])('refuses %s', (_, bytes, message) => {
    expect(decodeError(unhex(bytes)).message).toContain(message);
  });

  it('accepts a name of exactly 64 KiB', () => {
    const name = 'n'.repeat(MAX_MESSAGE_NAME_BYTES);
    const bytes = encodeThriftMessage({ name, type: 1, seqId: 1 }, Uint8Array.of(0));
    expect(decodeThriftMessageHeader(bytes).name).toBe(name);
  });

  it.each([
    ['an unknown type', { name: 'M', type: 5 as ThriftMessageType, seqId: 1 }, 'type: 5'],
    ['a seq id over int32', { name: 'M', type: 1 as const, seqId: 2 ** 31 }, 'seqId: 2147483648'],
    ['a fractional seq id', { name: 'M', type: 1 as const, seqId: 1.5 }, 'seqId: 1.5'],
    [
      'a name over 64 KiB',
      { name: 'é'.repeat(40000), type: 1 as const, seqId: 1 },
      'over the 65536-byte limit (80000)',
    ],
    [
      'a huge name',
      { name: 'x'.repeat(100000), type: 1 as const, seqId: 1 },
      'over the 65536-byte limit (100000)',
    ],
  ])('refuses to encode %s', (_, header, message) => {
    const error = encodeError(() => encodeThriftMessage(header, Uint8Array.of(0)));
    expect(error.message).toContain(message);
  });
});
