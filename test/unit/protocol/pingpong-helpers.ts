// Helpers for the ping-pong codec specs: Thrift messages built by hand (independent of the
// codecs), random wire values for fast-check, and message normalisation for comparisons.
import fc from 'fast-check';
import { PingPongDecoder } from '../../../lib/protocol/pingpong-decoder.js';
import type { PingPongMessage } from '../../../lib/protocol/pingpong-message.js';
import { concat, toHex, u16, u32 } from './helpers.js';

const utf8 = new TextEncoder();

/** A strict Binary message: version word, name, seq id, then `body` (a struct) as given. */
export function thriftMessage(
  name: string | Uint8Array,
  type: number,
  seqId: number,
  body: Uint8Array = Uint8Array.of(0),
): Uint8Array {
  const nameBytes = typeof name === 'string' ? utf8.encode(name) : name;
  return concat(
    Uint8Array.of(0x80, 0x01, 0x00, type),
    u32(nameBytes.length),
    nameBytes,
    u32(seqId >>> 0),
    body,
  );
}

/** A Binary field header: type byte, i16 id. */
export function fieldHeader(type: number, id: number): Uint8Array {
  return concat(Uint8Array.of(type), u16(id & 0xffff));
}

/** A Binary string value: i32 length, bytes. */
export function binaryString(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? utf8.encode(value) : value;
  return concat(u32(bytes.length), bytes);
}

/** A struct of `count` i32 fields (ids 1..count) then STOP: many small values. */
export function manyI32Fields(count: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 1; i <= count; i++) parts.push(fieldHeader(8, i), u32(i));
  return concat(...parts, Uint8Array.of(0));
}

/** A comparable view of a decoded message. */
export interface PlainMessage {
  shape: string;
  headerSeqId: number | undefined;
  intHeaders: [number, string][];
  strHeaders: [string, string][];
  message: string;
}

export function plainMessage(m: PingPongMessage): PlainMessage {
  return {
    shape: m.shape,
    headerSeqId: m.headerSeqId,
    intHeaders: [...m.intHeaders].sort((a, b) => a[0] - b[0]),
    strHeaders: [...m.strHeaders].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    message: toHex(m.message),
  };
}

/** A one-string summary of a decoded message: cheap to compare in loops. */
export function messageKey(m: PingPongMessage): string {
  return JSON.stringify(plainHeaders(m)) + Buffer.from(m.message).toString('hex');
}

function plainHeaders(m: PingPongMessage): unknown {
  return [m.shape, m.headerSeqId ?? null, plainMessage({ ...m, message: new Uint8Array(0) })];
}

/** Pushes `bytes` in pieces ending at `cuts` (sorted offsets) and collects the messages. */
export function pushSplit(
  bytes: Uint8Array,
  cuts: readonly number[],
  decoder = new PingPongDecoder(),
): PingPongMessage[] {
  const out: PingPongMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...decoder.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return out;
}

/** Pushes `bytes` one byte at a time (each byte its own chunk). */
export function pushBytewise(
  bytes: Uint8Array,
  decoder = new PingPongDecoder(),
): PingPongMessage[] {
  const out: PingPongMessage[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.slice(i, i + 1)));
  return out;
}

/** A Thrift wire type tree: what a value of it looks like on the wire. */
type WireType =
  | { readonly t: 2 | 3 | 4 | 6 | 8 | 10 | 11 }
  | { readonly t: 12; readonly fields: readonly (readonly [number, WireType])[] }
  | { readonly t: 13; readonly key: WireType; readonly value: WireType }
  | { readonly t: 14 | 15; readonly element: WireType };

const FIXED_SIZES: Readonly<Record<number, number>> = { 2: 1, 3: 1, 4: 8, 6: 2, 8: 4, 10: 8 };

function wireTypeArbitrary(depth: number): fc.Arbitrary<WireType> {
  const leaf = fc.constantFrom(2, 3, 4, 6, 8, 10, 11).map((t): WireType => ({ t }));
  if (depth <= 0) return leaf;
  const inner = wireTypeArbitrary(depth - 1);
  return fc.oneof(
    { arbitrary: leaf, weight: 4 },
    fc
      .array(fc.tuple(fc.integer({ min: -32768, max: 32767 }), inner), { maxLength: 4 })
      .map((fields): WireType => ({ t: 12, fields })),
    fc
      .record({ key: inner, value: inner })
      .map(({ key, value }): WireType => ({ t: 13, key, value })),
    fc
      .tuple(fc.constantFrom(14 as const, 15 as const), inner)
      .map(([t, element]): WireType => ({ t, element })),
  );
}

function wireValueArbitrary(type: WireType): fc.Arbitrary<Uint8Array> {
  switch (type.t) {
    case 11:
      return fc.uint8Array({ maxLength: 24 }).map((bytes) => binaryString(bytes));
    case 12:
      return fc
        .tuple(
          ...type.fields.map(([id, fieldType]) =>
            fc
              .option(wireValueArbitrary(fieldType), { nil: undefined })
              .map((value) =>
                value === undefined
                  ? new Uint8Array(0)
                  : concat(fieldHeader(fieldType.t, id), value),
              ),
          ),
        )
        .map((fields) => concat(...fields, Uint8Array.of(0)));
    case 13:
      return fc
        .array(fc.tuple(wireValueArbitrary(type.key), wireValueArbitrary(type.value)), {
          maxLength: 3,
        })
        .map((pairs) =>
          concat(Uint8Array.of(type.key.t, type.value.t), u32(pairs.length), ...pairs.flat()),
        );
    case 14:
    case 15:
      return fc
        .array(wireValueArbitrary(type.element), { maxLength: 3 })
        .map((items) => concat(Uint8Array.of(type.element.t), u32(items.length), ...items));
    case 2:
    case 3:
    case 4:
    case 6:
    case 8:
    case 10: {
      const size = FIXED_SIZES[type.t] as number;
      return fc.uint8Array({ minLength: size, maxLength: size });
    }
  }
}

/** Random structs in Binary wire form (nested structs and containers, any field ids). */
export const wireStruct: fc.Arbitrary<Uint8Array> = wireTypeArbitrary(3)
  .map((type): WireType => (type.t === 12 ? type : { t: 12, fields: [[1, type]] }))
  .chain((type) => wireValueArbitrary(type));

/** Random strict Binary messages: any name bytes, type 1-4, any seq id, a random struct. */
export const wireMessage: fc.Arbitrary<Uint8Array> = fc
  .record({
    name: fc.uint8Array({ maxLength: 20 }),
    type: fc.integer({ min: 1, max: 4 }),
    seqId: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    body: wireStruct,
  })
  .map(({ name, type, seqId, body }) => thriftMessage(name, type, seqId, body));
