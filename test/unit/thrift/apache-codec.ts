// A schema-driven encoder/decoder on top of Apache thrift's TBinaryProtocol: what the Apache
// generator's code does, driven by our schema, used as an independent oracle.
import { jest } from '@jest/globals';
import type * as ThriftModule from 'thrift';
import {
  type FieldSchema,
  kitexFieldOrder,
  type StructSchema,
  type ThriftType,
} from '../../../lib/thrift/schema.js';

// thrift (CommonJS) requires the ESM-only `uuid`, which Jest's CommonJS registry cannot load;
// it only needs it for UUID fields, which these tests do not use.
jest.mock('uuid', () => ({
  parse: () => {
    throw new Error('uuid is stubbed in tests');
  },
  stringify: () => {
    throw new Error('uuid is stubbed in tests');
  },
}));
const thrift = (await import('thrift')).default as typeof ThriftModule;
const { TBinaryProtocol, TBufferedTransport, Thrift } = thrift;
type Protocol = InstanceType<typeof TBinaryProtocol>;
const Int64 = (
  thrift as unknown as { Int64: new (buffer: Buffer) => { buffer: Buffer; offset?: number } }
).Int64;

function wireType(type: ThriftType): ThriftModule.Thrift.Type {
  const T = Thrift.Type;
  switch (type.kind) {
    case 'bool':
      return T.BOOL;
    case 'byte':
      return T.BYTE;
    case 'i16':
      return T.I16;
    case 'i32':
    case 'enum':
      return T.I32;
    case 'i64':
      return T.I64;
    case 'double':
      return T.DOUBLE;
    case 'string':
    case 'binary':
      return T.STRING;
    case 'struct':
      return T.STRUCT;
    case 'list':
      return T.LIST;
    case 'set':
      return T.SET;
    case 'map':
      return T.MAP;
  }
}

function writeValue(p: Protocol, type: ThriftType, value: unknown): void {
  switch (type.kind) {
    case 'bool':
      p.writeBool(value as boolean);
      return;
    case 'byte':
      p.writeByte(value as number);
      return;
    case 'i16':
      p.writeI16(value as number);
      return;
    case 'i32':
    case 'enum':
      p.writeI32(value as number);
      return;
    case 'i64': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(value as bigint | number));
      p.writeI64(new Int64(b) as never);
      return;
    }
    case 'double':
      p.writeDouble(value as number);
      return;
    case 'string':
      p.writeString(value as string);
      return;
    case 'binary':
      p.writeBinary(Buffer.from(value as Uint8Array));
      return;
    case 'struct':
      writeStruct(p, type.struct, value as Record<string, unknown>, 'kitex');
      return;
    case 'list':
    case 'set': {
      const items = value as unknown[];
      if (type.kind === 'list') p.writeListBegin(wireType(type.element), items.length);
      else p.writeSetBegin(wireType(type.element), items.length);
      for (const item of items) writeValue(p, type.element, item);
      return;
    }
    case 'map': {
      const map = value as Map<unknown, unknown>;
      p.writeMapBegin(wireType(type.key), wireType(type.value), map.size);
      for (const [k, v] of map) {
        writeValue(p, type.key, k);
        writeValue(p, type.value, v);
      }
      return;
    }
  }
}

function writeStruct(
  p: Protocol,
  schema: StructSchema,
  value: Record<string, unknown>,
  order: 'kitex' | 'declaration',
): void {
  p.writeStructBegin(schema.name);
  const fields = order === 'kitex' ? kitexFieldOrder(schema.fields) : schema.fields;
  for (const f of fields) {
    const v = value[f.name];
    if (v === undefined) continue;
    p.writeFieldBegin(f.name, wireType(f.type), f.id);
    writeValue(p, f.type, v);
    p.writeFieldEnd();
  }
  p.writeFieldStop();
  p.writeStructEnd();
}

/** Encodes with Apache's TBinaryProtocol, fields in Kitex order or declaration order. */
export function apacheEncode(
  schema: StructSchema,
  value: Record<string, unknown>,
  order: 'kitex' | 'declaration' = 'kitex',
): Uint8Array {
  let out: Buffer = Buffer.alloc(0);
  const transport = new TBufferedTransport(undefined, (msg?: Buffer) => {
    if (msg !== undefined) out = msg;
  });
  const p = new TBinaryProtocol(transport);
  writeStruct(p, schema, value, order);
  transport.flush();
  return new Uint8Array(out);
}

function readValue(p: Protocol, type: ThriftType): unknown {
  switch (type.kind) {
    case 'bool':
      return p.readBool();
    case 'byte':
      return p.readByte();
    case 'i16':
      return p.readI16();
    case 'i32':
    case 'enum':
      return p.readI32();
    case 'i64': {
      const i64 = p.readI64() as unknown as { buffer: Buffer; offset?: number };
      const n = i64.buffer.readBigInt64BE(i64.offset ?? 0);
      return type.asNumber === true ? Number(n) : n;
    }
    case 'double':
      return p.readDouble();
    case 'string':
      return p.readString();
    case 'binary':
      return new Uint8Array(p.readBinary());
    case 'struct':
      return readStruct(p, type.struct);
    case 'list':
    case 'set': {
      const { size } = type.kind === 'list' ? p.readListBegin() : p.readSetBegin();
      const out: unknown[] = [];
      for (let i = 0; i < size; i++) out.push(readValue(p, type.element));
      return out;
    }
    case 'map': {
      const { size } = p.readMapBegin();
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < size; i++) {
        const k = readValue(p, type.key);
        out.set(k, readValue(p, type.value));
      }
      return out;
    }
  }
}

function readStruct(p: Protocol, schema: StructSchema): Record<string, unknown> {
  const byId = new Map<number, FieldSchema>(schema.fields.map((f) => [f.id, f]));
  const out: Record<string, unknown> = {};
  p.readStructBegin();
  for (;;) {
    const { ftype, fid } = p.readFieldBegin();
    if (ftype === Thrift.Type.STOP) break;
    const f = byId.get(fid);
    if (f !== undefined && wireType(f.type) === ftype) out[f.name] = readValue(p, f.type);
    else p.skip(ftype);
    p.readFieldEnd();
  }
  p.readStructEnd();
  return out;
}

/** Decodes with Apache's TBinaryProtocol into our value mapping (no defaults filled). */
export function apacheDecode(schema: StructSchema, bytes: Uint8Array): Record<string, unknown> {
  const transport = new TBufferedTransport();
  const t = transport as unknown as { inBuf: Buffer; writeCursor: number; readCursor: number };
  t.inBuf = Buffer.from(bytes);
  t.writeCursor = bytes.length;
  t.readCursor = 0;
  return readStruct(new TBinaryProtocol(transport), schema);
}
