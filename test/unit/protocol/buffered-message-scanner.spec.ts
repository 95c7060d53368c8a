// The resumable scanner that finds where a Buffered (unframed) message ends.
import { describe, expect, it, jest } from '@jest/globals';
import { BufferedMessageScanner } from '../../../lib/protocol/buffered-message-scanner.js';
import { FrameDecodeError } from '../../../lib/protocol/frame-decode-error.js';
import { concat, fromHex, u32 } from './helpers.js';
import {
  binaryString,
  fieldHeader,
  manyI32Fields,
  pushBytewise,
  thriftMessage,
} from './pingpong-helpers.js';

const MAX = 64 * 1024 * 1024;

/** Scans `bytes` one byte per call; returns the end offset and the steps it took. */
function scanBytewise(bytes: Uint8Array, scanner = new BufferedMessageScanner(MAX)): number {
  for (let i = 0; i < bytes.length; i++) {
    const end = scanner.scan(bytes, i, i + 1);
    if (end >= 0) return end;
  }
  return -1;
}

describe('BufferedMessageScanner', () => {
  it('finds the end of a message, in one call or byte by byte', () => {
    const message = thriftMessage('Echo', 1, 7, manyI32Fields(3));
    const withNext = concat(message, thriftMessage('Next', 1, 8));
    expect(new BufferedMessageScanner(MAX).scan(withNext, 0, withNext.length)).toBe(message.length);
    expect(scanBytewise(withNext)).toBe(message.length);
  });

  it('resumes where it stopped and resets after each message', () => {
    const scanner = new BufferedMessageScanner(MAX);
    const message = thriftMessage('Echo', 1, 7, manyI32Fields(10));
    expect(scanner.scan(message, 0, 30)).toBe(-1);
    expect(scanner.scanned).toBe(30);
    expect(scanner.scan(message, 30, message.length)).toBe(message.length);
    expect(scanner.scanned).toBe(0);
    expect(scanner.scan(message, 0, message.length)).toBe(message.length);
    scanner.scan(message, 0, 5);
    scanner.reset();
    expect(scanner.scanned).toBe(0);
    expect(scanner.scan(message, 0, message.length)).toBe(message.length);
  });

  it('checks the version word itself', () => {
    expect(() => new BufferedMessageScanner(MAX).scan(fromHex('80020001'), 0, 4)).toThrow(
      new FrameDecodeError('not a strict Thrift Binary message: version word 0x80020001'),
    );
  });

  it('does linear work when a message of many small fields arrives one byte at a time', () => {
    const stepsPerByte = (fields: number): number => {
      const scanner = new BufferedMessageScanner(MAX);
      const message = thriftMessage('Echo', 1, 7, manyI32Fields(fields));
      expect(scanBytewise(message, scanner)).toBe(message.length);
      return scanner.steps / message.length;
    };
    const small = stepsPerByte(100);
    const large = stepsPerByte(20000);
    // Each byte is looked at once: a constant number of steps per byte, whatever the size.
    expect(large).toBeLessThan(2);
    expect(Math.abs(large - small)).toBeLessThan(0.1);
  });

  it('is never handed the same bytes twice by the decoder', () => {
    const message = thriftMessage('Echo', 1, 7, manyI32Fields(5000));
    const scan = jest.spyOn(BufferedMessageScanner.prototype, 'scan');
    try {
      const [decoded] = pushBytewise(message);
      expect(decoded?.message).toEqual(message);
      const handed = scan.mock.calls.reduce((sum, [, start, end]) => sum + end - start, 0);
      expect(handed).toBe(message.length);
    } finally {
      scan.mockRestore();
    }
  });

  it('skips strings and lists of fixed-width values in one step', () => {
    const scanner = new BufferedMessageScanner(MAX);
    const body = concat(
      fieldHeader(11, 1),
      binaryString(new Uint8Array(100000)),
      fieldHeader(15, 2),
      Uint8Array.of(10),
      u32(10000),
      new Uint8Array(80000),
      fieldHeader(13, 3),
      Uint8Array.of(8, 4),
      u32(1000),
      new Uint8Array(12000),
      Uint8Array.of(0),
    );
    const message = thriftMessage('Echo', 1, 7, body);
    expect(scanner.scan(message, 0, message.length)).toBe(message.length);
    expect(scanner.steps).toBeLessThan(40);
  });

  it('walks containers of variable-width values item by item', () => {
    // map<string, list<struct{1: bool}>>, set<binary>, an empty list<map<i32,i32>>.
    const entry = concat(
      binaryString('k'),
      Uint8Array.of(12),
      u32(2),
      fieldHeader(2, 1),
      Uint8Array.of(1, 0),
      Uint8Array.of(0),
    );
    const body = concat(
      fieldHeader(13, 1),
      Uint8Array.of(11, 15),
      u32(2),
      entry,
      entry,
      fieldHeader(14, 2),
      Uint8Array.of(11),
      u32(2),
      binaryString(''),
      binaryString('xyz'),
      fieldHeader(15, 3),
      Uint8Array.of(13),
      u32(0),
      Uint8Array.of(0),
    );
    const message = thriftMessage('Echo', 2, 7, body);
    const withNext = concat(message, Uint8Array.of(0x80));
    expect(new BufferedMessageScanner(MAX).scan(withNext, 0, withNext.length)).toBe(message.length);
    expect(scanBytewise(withNext)).toBe(message.length);
    // One byte short: not the end yet.
    expect(new BufferedMessageScanner(MAX).scan(message, 0, message.length - 1)).toBe(-1);
  });
});
