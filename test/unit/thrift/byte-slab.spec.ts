import { describe, expect, it } from '@jest/globals';
import { copyOut } from '../../../lib/thrift/byte-slab.js';
import { createStructCodec } from '../../../lib/thrift/struct-codec.js';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import { ECHO_IDL_FILE } from '../../../sample/package-root.js';

describe('copyOut (small encoded messages share slabs)', () => {
  it('gives copies that later writes to the source and later copies never change', () => {
    const source = new Uint8Array(64);
    const copies: Uint8Array[] = [];
    // Enough copies to fill several 64 KiB slabs.
    for (let i = 0; i < 3000; i++) {
      source.fill(i % 251);
      copies.push(copyOut(source, 40 + (i % 24)));
    }
    source.fill(255);
    copies.forEach((copy, i) => {
      expect(copy.length).toBe(40 + (i % 24));
      expect(copy.every((byte) => byte === i % 251)).toBe(true);
    });
  });

  it('shares a slab for small copies, 8-byte aligned; larger ones get their own buffer', () => {
    const source = new Uint8Array(8192).fill(1);
    const a = copyOut(source, 10);
    const b = copyOut(source, 10);
    if (a.buffer === b.buffer) expect(b.byteOffset - a.byteOffset).toBe(16);
    expect(b.byteOffset % 8).toBe(0);
    const big = copyOut(source, 5000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(5000);
  });

  it('an encoded message stays as it was after the codec encodes others', () => {
    const idl = loadThriftIdl(ECHO_IDL_FILE);
    const schema = idl.structs.get('Response');
    if (schema === undefined) throw new Error('no Response struct');
    const codec = createStructCodec<{ message: string; index: number }>(schema);
    const first = codec.encode({ message: 'first', index: 1 });
    const before = Uint8Array.from(first);
    for (let i = 0; i < 2000; i++) codec.encode({ message: `other-${i}`, index: i });
    expect(first).toEqual(before);
    expect(codec.decode(first)).toEqual({ message: 'first', index: 1 });
  });
});
