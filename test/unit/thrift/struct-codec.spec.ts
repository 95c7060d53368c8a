import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  createStructCodec as createCodec,
  type StructCodecOptions,
} from '../../../lib/thrift/struct-codec.js';
import { ThriftDecodeError, ThriftEncodeError } from '../../../lib/thrift/thrift-errors.js';
import { TTStreamErrorCode } from '../../../lib/errors/index.js';
import { type StructSchema } from '../../../lib/thrift/schema.js';
import { field, struct, T } from './schema-helpers.js';
import { hex, unhex } from './hex.js';

const Request = struct('Request', [
  field(1, 'message', T.string),
  field(2, 'userId', T.i64),
  field(3, 'count', T.i32),
]);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

// Every case runs against both decoders: the reader compiled per struct and the interpreter.
describe.each([
  ['compiled readers', true],
  ['interpreted schema', false],
])('%s', (_mode, compileReaders) => {
  function createStructCodec<T = unknown>(schema: StructSchema, options: StructCodecOptions = {}) {
    return createCodec<T>(schema, { compileReaders, ...options });
  }

  describe('createStructCodec: hand-written vectors', () => {
    it('encodes spec vector V2 ({1: string "hi"})', () => {
      const codec = createStructCodec(struct('S', [field(1, 'm', T.string)]));
      expect(hex(codec.encode({ m: 'hi' }))).toBe('0b00010000000268690' + '0');
    });

    it('writes fixed-length fields first, as Kitex does (echo Request)', () => {
      const bytes = createStructCodec(Request).encode({ message: 'hi', userId: 5n, count: 3 });
      expect(hex(bytes)).toBe(
        '0a0002' +
          '0000000000000005' +
          '080003' +
          '00000003' +
          '0b0001' +
          '00000002' +
          '6869' +
          '00',
      );
    });

    it('keeps declaration order within each group and treats enums as variable-length', () => {
      const color = { name: 'Color', members: [{ name: 'RED', value: 1 }] };
      const schema = struct('Mixed', [
        field(5, 'name', T.string),
        field(4, 'color', { kind: 'enum', enum: color }),
        field(9, 'flag', T.bool),
        field(1, 'ratio', T.double),
        field(3, 'small', T.byte),
        field(2, 'wide', T.i16),
      ]);
      const bytes = createStructCodec(schema).encode({
        name: '',
        color: 1,
        flag: true,
        ratio: 1,
        small: -1,
        wide: 258,
      });
      expect(hex(bytes)).toBe(
        '020009' +
          '01' +
          '040001' +
          '3ff0000000000000' +
          '030003' +
          'ff' +
          '060002' +
          '0102' +
          '0b0005' +
          '00000000' +
          '080004' +
          '00000001' +
          '00',
      );
    });

    it('writes containers: list, set, map, nested', () => {
      const schema = struct('C', [
        field(1, 'l', T.list(T.i32)),
        field(2, 's', T.set(T.string)),
        field(3, 'm', T.map(T.string, T.list(T.byte))),
      ]);
      const bytes = createStructCodec(schema).encode({
        l: [1, -1],
        s: ['a'],
        m: new Map([['k', [7]]]),
      });
      expect(hex(bytes)).toBe(
        '0f0001' +
          '08' +
          '00000002' +
          '00000001' +
          'ffffffff' +
          '0e0002' +
          '0b' +
          '00000001' +
          '00000001' +
          '61' +
          '0d0003' +
          '0b' +
          '0f' +
          '00000001' +
          '00000001' +
          '6b' +
          '03' +
          '00000001' +
          '07' +
          '00',
      );
    });

    it('writes empty containers with their element types', () => {
      const schema = struct('E', [
        field(1, 'l', T.list(T.string)),
        field(2, 'm', T.map(T.i64, T.bool)),
      ]);
      const bytes = createStructCodec(schema).encode({ l: [], m: new Map() });
      expect(hex(bytes)).toBe(
        '0f0001' + '0b' + '00000000' + '0d0002' + '0a' + '02' + '00000000' + '00',
      );
    });

    it('writes unset default fields as zero values, skips unset optional ones', () => {
      const inner = struct('Inner', [field(1, 'x', T.i32, 'required')]);
      const schema = struct('Z', [
        field(1, 'n', T.i32),
        field(2, 's', T.string),
        field(3, 'o', T.string, 'optional'),
        field(4, 'inner', T.struct(inner)),
        field(5, 'b', T.binary),
        field(6, 'd', T.i32, 'default', 42),
      ]);
      const bytes = createStructCodec(schema).encode({});
      // A nil struct pointer in Go is written as an empty struct.
      expect(hex(bytes)).toBe(
        '080001' +
          '00000000' +
          '080006' +
          '0000002a' +
          '0b0002' +
          '00000000' +
          '0c0004' +
          '00' +
          '0b0005' +
          '00000000' +
          '00',
      );
    });

    it('leaves out an optional scalar equal to its IDL default, as Kitex IsSet does', () => {
      const schema = struct('O', [
        field(1, 'n', T.i32, 'optional', 5),
        field(2, 's', T.string, 'optional', 'x'),
        field(3, 'big', T.i64, 'optional', 7n),
        field(4, 'l', T.list(T.i32), 'optional', [1]),
      ]);
      const codec = createStructCodec(schema);
      // The list is a container: written whenever set, even when equal to its default.
      expect(hex(codec.encode({ n: 5, s: 'x', big: 7n, l: [1] }))).toBe(
        '0f0004' + '08' + '00000001' + '00000001' + '00',
      );
      expect(hex(codec.encode({ n: 6, big: 7 }))).toBe('080001' + '00000006' + '00');
      expect(codec.decode(unhex('00'))).toEqual({ n: 5, s: 'x', big: 7n, l: [1] });
    });

    it('writes a union with its one field', () => {
      const union = struct('U', [field(1, 'a', T.string), field(2, 'b', T.i32)], 'union');
      expect(hex(createStructCodec(union).encode({ b: 1 }))).toBe('080002' + '00000001' + '00');
    });

    it('decodes fields in any order and skips unknown fields of every type', () => {
      const bytes = unhex(
        '0b0001' +
          '00000002' +
          '6869' +
          // unknown: bool, byte, i16, double, string, struct, map, set, list
          '020063' +
          '01' +
          '030064' +
          '02' +
          '060065' +
          '0003' +
          '040066' +
          '3ff0000000000000' +
          '0b0067' +
          '00000001' +
          '41' +
          '0c0068' +
          '0b000100000000' +
          '00' +
          '0d0069' +
          '0b08' +
          '00000001' +
          '00000000' +
          '00000005' +
          '0e006a' +
          '0a' +
          '00000001' +
          '0000000000000001' +
          '0f006b' +
          '0f' +
          '00000001' +
          '08' +
          '00000000' +
          '080003' +
          '00000009' +
          '0a0002' +
          'ffffffffffffffff' +
          '00',
      );
      expect(createStructCodec(Request).decode(bytes)).toEqual({
        message: 'hi',
        userId: -1n,
        count: 9,
      });
    });

    it('skips a known field id whose wire type does not match', () => {
      const bytes = unhex('0b0003' + '00000001' + '41' + '00');
      // count arrives as a string: skipped, then filled with its zero value.
      expect(createStructCodec(Request).decode(bytes)).toEqual({
        message: '',
        userId: 0n,
        count: 0,
      });
    });

    it('fills defaults and zero values for absent fields; leaves optional ones out', () => {
      const schema = struct('D', [
        field(1, 'n', T.i32, 'default', 7),
        field(2, 'l', T.list(T.i32), 'default', [1, 2]),
        field(3, 'o', T.i32, 'optional'),
        field(4, 'od', T.string, 'optional', 'x'),
        field(5, 'z', T.i64),
        field(6, 'm', T.map(T.string, T.i32)),
      ]);
      const codec = createStructCodec<Record<string, unknown>>(schema);
      const first = codec.decode(unhex('00'));
      expect(first).toEqual({ n: 7, l: [1, 2], od: 'x', z: 0n, m: new Map() });
      expect('o' in first).toBe(false);
      // Defaults are copies: mutating one decoded value does not change the next.
      (first.l as number[]).push(3);
      expect(codec.decode(unhex('00')).l).toEqual([1, 2]);
    });
  });

  describe('createStructCodec: errors', () => {
    const Strict = struct('Strict', [
      field(1, 'id', T.i32, 'required'),
      field(2, 'inner', T.struct(struct('Inner', [field(1, 'name', T.string, 'required')]))),
    ]);

    it('names the struct and field of a missing required field on encode', () => {
      const error = thrown(() => createStructCodec(Strict).encode({}));
      expect(error).toBeInstanceOf(ThriftEncodeError);
      expect((error as ThriftEncodeError).struct).toBe('Strict');
      expect((error as ThriftEncodeError).field).toBe('id');
      expect((error as Error).message).toBe('cannot encode Strict.id: required field is not set');
    });

    it('names the nested path of a missing required field on encode', () => {
      const error = thrown(() => createStructCodec(Strict).encode({ id: 1, inner: {} }));
      expect((error as ThriftEncodeError).field).toBe('inner.name');
    });

    it('names the struct and field of a missing required field on decode', () => {
      const error = thrown(() => createStructCodec(Strict).decode(unhex('00')));
      expect(error).toBeInstanceOf(ThriftDecodeError);
      expect((error as ThriftDecodeError).kind).toBe(TTStreamErrorCode.IllegalFrame);
      expect((error as ThriftDecodeError).detail).toBe('Strict.id: required field is missing');
      const nested = thrown(() =>
        createStructCodec(Strict).decode(unhex('080001' + '00000001' + '0c0002' + '00' + '00')),
      );
      expect((nested as ThriftDecodeError).detail).toBe(
        'Strict.inner.name: required field is missing',
      );
    });

    it.each([
      [
        'i32 out of range',
        { count: 2 ** 31 },
        'count',
        /expected an i32 integer, got number 2147483648/,
      ],
      ['i32 not an integer', { count: 1.5 }, 'count', /expected an i32 integer/],
      ['i64 beyond 64 bits', { userId: 2n ** 63n }, 'userId', /expected an i64/],
      ['i64 unsafe number', { userId: 2 ** 60 }, 'userId', /safe integer/],
      ['string as number', { message: 5 }, 'message', /expected a string, got number 5/],
    ])('rejects %s', (_name, value, fieldName, pattern) => {
      const error = thrown(() => createStructCodec(Request).encode(value));
      expect(error).toBeInstanceOf(ThriftEncodeError);
      expect((error as ThriftEncodeError).field).toBe(fieldName);
      expect((error as Error).message).toMatch(pattern);
    });

    it('rejects wrong values inside containers with their index', () => {
      const schema = struct('L', [field(1, 'items', T.list(T.map(T.string, T.i16)))]);
      const error = thrown(() =>
        createStructCodec(schema).encode({ items: [new Map(), new Map([['a', 1 << 16]])] }),
      );
      expect((error as ThriftEncodeError).field).toBe('items[1]{value 0}');
    });

    it('rejects a union without exactly one field set', () => {
      const union = struct('U', [field(1, 'a', T.string), field(2, 'b', T.i32)], 'union');
      expect(() => createStructCodec(union).encode({})).toThrow(/exactly one field set, got 0/);
      expect(() => createStructCodec(union).encode({ a: '', b: 1 })).toThrow(/got 2/);
    });

    it('rejects byte, i16 and bool values of the wrong kind', () => {
      const schema = struct('B', [
        field(1, 'b', T.byte, 'optional'),
        field(2, 'w', T.i16, 'optional'),
        field(3, 'f', T.bool, 'optional'),
        field(4, 'bin', T.binary, 'optional'),
      ]);
      const codec = createStructCodec(schema);
      expect(() => codec.encode({ b: 128 })).toThrow(ThriftEncodeError);
      expect(() => codec.encode({ w: -32769 })).toThrow(ThriftEncodeError);
      expect(() => codec.encode({ f: 1 })).toThrow(ThriftEncodeError);
      expect(() => codec.encode({ bin: 'text' })).toThrow(ThriftEncodeError);
      expect(hex(codec.encode({ b: -128, w: -32768, f: false }))).toBe(
        '030001' + '80' + '060002' + '8000' + '020003' + '00' + '00',
      );
    });

    it.each([
      ['empty input', '', /truncated input/],
      ['a truncated string', '0b0001' + '00000005' + '6869', /Request.message: length 5 exceeds/],
      ['a negative string length', '0b0001' + 'ffffffff', /Request.message: negative length -1/],
      [
        'a list count beyond the input',
        '0f0009' + '08' + '7fffffff',
        /container size 2147483647 exceeds/,
      ],
      ['a negative map size', '0d0009' + '0b0b' + 'fffffffe', /negative container size -2/],
      ['an invalid field type', '110001' + '00', /invalid field type type 17/],
      ['an invalid element type', '0f0009' + '01' + '00000001' + '00', /invalid element type VOID/],
      ['bytes after STOP', '00' + '00', /1 bytes after the struct's STOP/],
      [
        'a list element type mismatch',
        '0f0004' + '0b' + '00000001' + '00000000' + '00',
        /element type STRING does not match/,
      ],
    ])('rejects %s with ThriftDecodeError', (_name, bytes, pattern) => {
      const schema = struct('Request', [
        ...Request.fields,
        field(4, 'l', T.list(T.i32), 'optional'),
      ]);
      const error = thrown(() => createStructCodec(schema).decode(unhex(bytes)));
      expect(error).toBeInstanceOf(ThriftDecodeError);
      expect((error as ThriftDecodeError).detail).toMatch(pattern);
    });

    it('limits nesting depth (known and unknown fields)', () => {
      const node = struct('Node', []);
      node.fields.push(field(1, 'next', T.struct(node), 'optional'));
      const deep = (n: number): string => '0c0001'.repeat(n) + '00'.repeat(n + 1);
      const codec = createStructCodec(node, { maxDepth: 10 });
      expect(() => codec.decode(unhex(deep(9)))).not.toThrow();
      expect(() => codec.decode(unhex(deep(10)))).toThrow(/nesting deeper than 10 levels/);
      const unknown = '0c0002'.repeat(20) + '00'.repeat(21);
      expect(() => codec.decode(unhex(unknown))).toThrow(/nesting deeper than 10 levels/);
    });

    it('refuses a schema with a field named __proto__', () => {
      expect(() => createStructCodec(struct('P', [field(1, '__proto__', T.string)]))).toThrow(
        'P: a field cannot be named __proto__',
      );
    });

    it('rejects an unsafe i64 when the schema maps it to number', () => {
      const schema = struct('N', [field(1, 'n', T.i64n)]);
      expect(() =>
        createStructCodec(schema).decode(unhex('0a0001' + '0020000000000000' + '00')),
      ).toThrow(/not a safe integer/);
      expect(createStructCodec(schema).decode(unhex('0a0001' + '001fffffffffffff' + '00'))).toEqual(
        {
          n: Number.MAX_SAFE_INTEGER,
        },
      );
    });

    it('reads i64-as-number exactly at and around the safe range on both signs', () => {
      const codec = createStructCodec(struct('N', [field(1, 'n', T.i64n)]));
      const decode = (word: string): unknown => codec.decode(unhex('0a0001' + word + '00'));
      expect(decode('ffe0000000000001')).toEqual({ n: Number.MIN_SAFE_INTEGER });
      expect(decode('ffffffffffffffff')).toEqual({ n: -1 });
      expect(decode('ffffffff00000000')).toEqual({ n: -(2 ** 32) });
      expect(decode('00000000ffffffff')).toEqual({ n: 2 ** 32 - 1 });
      expect(decode('0000000100000000')).toEqual({ n: 2 ** 32 });
      expect(() => decode('ffe0000000000000')).toThrow(/i64 -9007199254740992 is not a safe/);
      expect(() => decode('8000000000000000')).toThrow(/not a safe integer/);
      expect(() => decode('7fffffffffffffff')).toThrow(/i64 9223372036854775807 is not a safe/);
    });

    it('reads i64 as bigint and double across the sign and byte boundaries', () => {
      const codec = createStructCodec(struct('N', [field(1, 'n', T.i64), field(2, 'd', T.double)]));
      const cases: [string, bigint, string, number][] = [
        ['8000000000000000', -(2n ** 63n), 'bff0000000000000', -1],
        ['7fffffffffffffff', 2n ** 63n - 1n, '400921f9f01b866e', 3.14159],
        ['0000000180000000', 2n ** 32n + 2n ** 31n, '7ff0000000000000', Infinity],
        ['fffffffeffffffff', -(2n ** 32n) - 1n, '8000000000000000', -0],
      ];
      for (const [i64, n, f64, d] of cases) {
        expect(codec.decode(unhex('0a0001' + i64 + '040002' + f64 + '00'))).toEqual({ n, d });
      }
    });

    it('fills defaults and checks required fields in structs with more than 30 of them', () => {
      const fields = Array.from({ length: 34 }, (_, i) => field(i + 1, `f${i + 1}`, T.i32));
      const wide = struct('Wide', fields);
      const all = Object.fromEntries(fields.map((f) => [f.name, f.id]));
      const codec = createStructCodec(wide);
      expect(codec.decode(codec.encode(all))).toEqual(all);
      expect(codec.decode(unhex('080022' + '00000007' + '00'))).toEqual({
        ...Object.fromEntries(fields.map((f) => [f.name, 0])),
        f34: 7,
      });
      const strict = struct('Strict', [...fields, field(40, 'must', T.i32, 'required')]);
      expect(() => createStructCodec(strict).decode(unhex('00'))).toThrow(
        /Strict\.must: required field is missing/,
      );
    });

    it('does not blame the previous field for a truncated field header', () => {
      const codec = createStructCodec(struct('S', [field(1, 'a', T.i32), field(2, 'b', T.i32)]));
      const error = thrown(() => codec.decode(unhex('080001' + '00000005' + '0800')));
      expect(error).toBeInstanceOf(ThriftDecodeError);
      expect((error as Error).message).toMatch(/S: truncated input/);
      expect((error as Error).message).not.toMatch(/\.a/);
      expect(() => codec.decode(unhex('080001' + '00000005' + '080002' + '0000'))).toThrow(
        /S\.b: truncated input/,
      );
    });
  });

  describe('strings', () => {
    const codec = createStructCodec<{ s: string }>(struct('S', [field(1, 's', T.string)]));
    const reference = new TextDecoder('utf-8', { ignoreBOM: true });
    const strict = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

    it('decodes UTF-8 exactly as TextDecoder does (BOM kept); other bytes as U+DC80-U+DCFF', () => {
      const byteSoup = fc.uint8Array({ minLength: 1, maxLength: 80 }).map((bytes) =>
        // Mostly continuation and lead bytes, so malformed sequences are common.
        bytes.map((b) => (b % 3 === 0 ? 0x80 | (b & 0x3f) : b % 3 === 1 ? 0xc0 | (b & 0x3f) : b)),
      );
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), byteSoup), (bytes) => {
          const head = new Uint8Array([0x0b, 0x00, 0x01, 0, 0, 0, bytes.length]);
          const message = new Uint8Array([...head, ...bytes, 0x00]);
          const decoded = codec.decode(message).s;
          let valid = true;
          try {
            strict.decode(bytes);
          } catch {
            valid = false;
          }
          if (valid) expect(decoded).toBe(reference.decode(bytes));
          // Stray bytes stand as U+DC00 + byte where TextDecoder would put U+FFFD.
          else expect(decoded).toMatch(/[\udc80-\udcff]/);
          // And the bytes come back exactly.
          expect([...codec.encode({ s: decoded })]).toEqual([...message]);
        }),
        { seed: 41, numRuns: 2000 },
      );
      const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('x'.repeat(30))]);
      const message = new Uint8Array([0x0b, 0x00, 0x01, 0, 0, 0, bom.length, ...bom, 0x00]);
      expect(codec.decode(message).s).toBe('\ufeff' + 'x'.repeat(30));
    });

    it('decodes strings from a Buffer and from a Uint8Array view at an offset alike', () => {
      const text = 'größer als 24 Bytes: ' + '\u{1F600}'.repeat(4);
      const encoded = codec.encode({ s: text });
      const padded = new Uint8Array(encoded.length + 5);
      padded.set(encoded, 5);
      expect(codec.decode(padded.subarray(5)).s).toBe(text);
      expect(codec.decode(Buffer.from(encoded)).s).toBe(text);
    });
  });
});
