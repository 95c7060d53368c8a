// Connection sniffing: ttstream, ping-pong (four shapes) or something else, from the first bytes.
import { describe, expect, it } from '@jest/globals';
import { detectConnectionKind } from '../../../lib/protocol/pingpong-shape.js';
import { fromHex } from './helpers.js';

describe('detectConnectionKind', () => {
  it.each([
    ['ttstream (streaming flag)', '0000001e 1000 0002', 'ttstream'],
    ['ttstream with other flag bits', '0000001e 1000 0003', 'ttstream'],
    ['TTHeader ping-pong (flags 0)', '0000001e 1000 0000', 'pingpong'],
    ['TTHeader ping-pong (out-of-order flag)', '0000001e 1000 0001', 'pingpong'],
    ['Framed', '0000001e 8001 0001', 'pingpong'],
    ['Framed, 6 bytes are enough', '0000001e 8001', 'pingpong'],
    ['Buffered', '8001 0001', 'pingpong'],
    ['Buffered, 2 bytes are enough', '8001', 'pingpong'],
    ['HTTP', '47455420 2f20 4854', 'unknown'],
    ['TLS', '16030100 a5 01 0000', 'unknown'],
    ['non-strict Binary (name length first)', '00000004 4563 686f', 'unknown'],
    ['Kitex MeshHeader', 'ffaf0010 0000 0000', 'unknown'],
    ['a top bit other than 0x8001', '8002', 'unknown'],
    ['a first byte over 0x80', 'ff', 'unknown'],
  ])('%s', (_, bytes, kind) => {
    expect(detectConnectionKind(fromHex(bytes))).toBe(kind);
  });

  it.each([
    ['nothing', ''],
    ['0x80 alone', '80'],
    ['a TTHeader or Framed length', '0000001e'],
    ['5 bytes', '0000001e 10'],
    ['a TTHeader before its flags', '0000001e 1000'],
    ['a TTHeader with one flags byte', '0000001e 1000 00'],
  ])('needs more bytes after %s', (_, bytes) => {
    expect(detectConnectionKind(fromHex(bytes))).toBeUndefined();
  });
});
