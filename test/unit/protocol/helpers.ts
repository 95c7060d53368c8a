// Test helpers for the frame codec: fixture loading, a raw frame builder independent of the
// encoder (to craft bad input), and frame normalisation for comparisons.
import { readdirSync, readFileSync } from 'node:fs';
import type { Frame } from '../../../lib/protocol/frame.js';

const FIXTURES = new URL('../../fixtures/frames/', import.meta.url);

/** Bytes of `test/fixtures/frames/<name>`: `#` comments and whitespace are stripped. */
export function loadFixture(name: string): Uint8Array {
  const text = readFileSync(new URL(name, FIXTURES), 'utf8');
  return fromHex(text.replace(/#.*$/gm, ''));
}

/** Names of all `.hex` fixtures. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.hex'))
    .sort();
}

/** Parses hex, ignoring whitespace. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${clean.slice(0, 40)}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A comparable, order-insensitive view of a frame. */
export interface PlainFrame {
  type: number;
  streamId: number;
  method: string;
  intHeaders: [number, string][];
  strHeaders: [string, string][];
  payload: string;
}

/** Normalises a frame: sorted header entries, hex payload. */
export function plain(frame: Frame): PlainFrame {
  return {
    type: frame.type,
    streamId: frame.streamId,
    method: frame.method,
    intHeaders: [...frame.intHeaders].sort((a, b) => a[0] - b[0]),
    strHeaders: [...frame.strHeaders].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    payload: toHex(frame.payload),
  };
}

const utf8 = new TextEncoder();

/** u16 big-endian. */
export function u16(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

/** u32 big-endian. */
export function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** A header string: u16 length + bytes (a string is taken as UTF-8). */
export function str(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? utf8.encode(value) : value;
  return concat(u16(bytes.length), bytes);
}

/** A string KV block (info id 0x01); `count` overrides the pair count written. */
export function strBlock(
  pairs: readonly (readonly [string | Uint8Array, string | Uint8Array])[],
  count = pairs.length,
): Uint8Array {
  return concat(Uint8Array.of(0x01), u16(count), ...pairs.flatMap(([k, v]) => [str(k), str(v)]));
}

/** An int KV block (info id 0x10); `count` overrides the pair count written. */
export function intBlock(
  pairs: readonly (readonly [number, string | Uint8Array])[],
  count = pairs.length,
): Uint8Array {
  return concat(Uint8Array.of(0x10), u16(count), ...pairs.flatMap(([k, v]) => [u16(k), str(v)]));
}

/** An ACL token block (info id 0x11). */
export function aclBlock(token: string): Uint8Array {
  return concat(Uint8Array.of(0x11), str(token));
}

/** Fields of a raw frame; everything not given gets the valid default. */
export interface RawFrame {
  /** Info blocks after protocol id and transforms; padded to 4 unless `headerWords` is given. */
  blocks?: Uint8Array;
  protocolId?: number;
  transforms?: Uint8Array;
  /** Overrides the transform count byte. */
  transformCount?: number;
  payload?: Uint8Array;
  length?: number;
  magic?: number;
  flags?: number;
  streamId?: number;
  headerWords?: number;
}

/** The int block of a bare frame: 27 = type, 9 = method. */
export function bareBlocks(
  type: string | Uint8Array = '3',
  method: string | Uint8Array = 'ServerStream',
): Uint8Array {
  return intBlock([
    [27, type],
    [9, method],
  ]);
}

/** Builds frame bytes by hand, bypassing the encoder. */
export function rawFrame(raw: RawFrame = {}): Uint8Array {
  const transforms = raw.transforms ?? new Uint8Array(0);
  let info = concat(
    Uint8Array.of(raw.protocolId ?? 0x10, raw.transformCount ?? transforms.length),
    transforms,
    raw.blocks ?? bareBlocks(),
  );
  if (info.length % 4 !== 0) info = concat(info, new Uint8Array(4 - (info.length % 4)));
  const payload = raw.payload ?? new Uint8Array(0);
  const length = raw.length ?? 10 + info.length + payload.length;
  return concat(
    u32(length),
    u16(raw.magic ?? 0x1000),
    u16(raw.flags ?? 0x0002),
    u32((raw.streamId ?? 1) >>> 0),
    u16(raw.headerWords ?? info.length / 4),
    info,
    payload,
  );
}
