// BenchMessage read and written through Apache thrift's TBinaryProtocol the way the Apache
// generator's `js:node` output does it (writeFieldBegin/…/writeFieldEnd per field, string-keyed
// maps as plain objects, i64 as node-int64).
import thrift from 'thrift';
import { META, TEXT, VALUES } from './thrift-message.js';

const { TBinaryProtocol, TBufferedTransport, Thrift } = thrift;
const T = Thrift.Type;
type Protocol = InstanceType<typeof TBinaryProtocol>;
type Int64 = InstanceType<typeof thrift.Int64>;

/** The message as Apache's generated code holds it. */
export interface ApacheBenchMessage {
  id: Int64 | null;
  count: number | null;
  score: number | null;
  active: boolean | null;
  kind: number | null;
  flags: number | null;
  text: string | null;
  values: number[] | null;
  meta: Record<string, string> | null;
}

export function apacheMessage(): ApacheBenchMessage {
  return {
    id: new thrift.Int64(1234567890123),
    count: 42,
    score: 3.14159,
    active: true,
    kind: 7,
    flags: 3,
    text: TEXT,
    values: [...VALUES],
    meta: Object.fromEntries(META),
  };
}

function write(m: ApacheBenchMessage, out: Protocol): void {
  out.writeStructBegin('BenchMessage');
  if (m.id !== null) {
    out.writeFieldBegin('id', T.I64, 1);
    out.writeI64(m.id);
    out.writeFieldEnd();
  }
  if (m.count !== null) {
    out.writeFieldBegin('count', T.I32, 2);
    out.writeI32(m.count);
    out.writeFieldEnd();
  }
  if (m.score !== null) {
    out.writeFieldBegin('score', T.DOUBLE, 3);
    out.writeDouble(m.score);
    out.writeFieldEnd();
  }
  if (m.active !== null) {
    out.writeFieldBegin('active', T.BOOL, 4);
    out.writeBool(m.active);
    out.writeFieldEnd();
  }
  if (m.kind !== null) {
    out.writeFieldBegin('kind', T.I16, 5);
    out.writeI16(m.kind);
    out.writeFieldEnd();
  }
  if (m.flags !== null) {
    out.writeFieldBegin('flags', T.BYTE, 6);
    out.writeByte(m.flags);
    out.writeFieldEnd();
  }
  if (m.text !== null) {
    out.writeFieldBegin('text', T.STRING, 7);
    out.writeString(m.text);
    out.writeFieldEnd();
  }
  if (m.values !== null) {
    out.writeFieldBegin('values', T.LIST, 8);
    out.writeListBegin(T.I32, m.values.length);
    for (const v of m.values) out.writeI32(v);
    out.writeListEnd();
    out.writeFieldEnd();
  }
  if (m.meta !== null) {
    out.writeFieldBegin('meta', T.MAP, 9);
    out.writeMapBegin(T.STRING, T.STRING, Object.keys(m.meta).length);
    for (const key in m.meta) {
      out.writeString(key);
      out.writeString(m.meta[key]!);
    }
    out.writeMapEnd();
    out.writeFieldEnd();
  }
  out.writeFieldStop();
  out.writeStructEnd();
}

function read(input: Protocol): ApacheBenchMessage {
  const m: ApacheBenchMessage = {
    id: null,
    count: null,
    score: null,
    active: null,
    kind: null,
    flags: null,
    text: null,
    values: null,
    meta: null,
  };
  input.readStructBegin();
  for (;;) {
    const { ftype, fid } = input.readFieldBegin();
    if (ftype === T.STOP) break;
    switch (fid) {
      case 1:
        if (ftype === T.I64) m.id = input.readI64();
        else input.skip(ftype);
        break;
      case 2:
        if (ftype === T.I32) m.count = input.readI32();
        else input.skip(ftype);
        break;
      case 3:
        if (ftype === T.DOUBLE) m.score = input.readDouble();
        else input.skip(ftype);
        break;
      case 4:
        if (ftype === T.BOOL) m.active = input.readBool();
        else input.skip(ftype);
        break;
      case 5:
        if (ftype === T.I16) m.kind = input.readI16();
        else input.skip(ftype);
        break;
      case 6:
        if (ftype === T.BYTE) m.flags = input.readByte();
        else input.skip(ftype);
        break;
      case 7:
        if (ftype === T.STRING) m.text = input.readString();
        else input.skip(ftype);
        break;
      case 8:
        if (ftype === T.LIST) {
          const { size } = input.readListBegin();
          const values: number[] = [];
          for (let i = 0; i < size; i++) values.push(input.readI32());
          input.readListEnd();
          m.values = values;
        } else input.skip(ftype);
        break;
      case 9:
        if (ftype === T.MAP) {
          const { size } = input.readMapBegin();
          const meta: Record<string, string> = {};
          for (let i = 0; i < size; i++) {
            const key = input.readString();
            meta[key] = input.readString();
          }
          input.readMapEnd();
          m.meta = meta;
        } else input.skip(ftype);
        break;
      default:
        input.skip(ftype);
    }
    input.readFieldEnd();
  }
  input.readStructEnd();
  return m;
}

/** Encodes with a buffered transport and its flush callback, as a client would. */
export function apacheEncode(m: ApacheBenchMessage): Buffer {
  let out: Buffer | undefined;
  const transport = new TBufferedTransport(undefined, (msg?: Buffer) => {
    out = msg;
  });
  write(m, new TBinaryProtocol(transport));
  transport.flush();
  if (out === undefined) throw new Error('nothing flushed');
  return out;
}

/** Decodes from a buffered transport holding `bytes`. */
export function apacheDecode(bytes: Buffer): ApacheBenchMessage {
  const transport = new TBufferedTransport();
  const t = transport as unknown as { inBuf: Buffer; writeCursor: number; readCursor: number };
  t.inBuf = bytes;
  t.writeCursor = bytes.length;
  t.readCursor = 0;
  return read(new TBinaryProtocol(transport));
}
