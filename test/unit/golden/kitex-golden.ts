/**
 * Loads the golden frames captured from Kitex (test/fixtures/kitex/*.hex) and compares frames
 * up to the order of their key/value pairs (Go writes both blocks from maps, in random order).
 * Shared by the golden unit test and the interop wire-parity test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const GOLDEN_DIR = resolve('test/fixtures/kitex');

/** Every `*.hex` file name, sorted. */
export const GOLDEN_FILES: readonly string[] = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.hex'))
  .sort();

/** Kitex's text for 12007. */
export const CANCEL_TEXT =
  'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively';

/** One golden frame and what its comment lines say about it. */
export interface Golden {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly typeName: string;
  readonly sid: number;
  readonly method: string;
  readonly total: number;
  readonly headerBytes: number;
  readonly payloadBytes: number;
  /** Int keys as the capture decoded them (27 and 9 included). */
  readonly ints: Record<string, string>;
  readonly strs: Record<string, string>;
  readonly kitexVersion: string;
}

/** Reads `file` of test/fixtures/kitex: `#` comment lines, then hex. */
export function loadGolden(file: string): Golden {
  const text = readFileSync(join(GOLDEN_DIR, file), 'utf8');
  const lines = text.split('\n');
  const comments = lines.filter((l) => l.startsWith('#'));
  const hex = lines
    .filter((l) => !l.startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  const find = (re: RegExp): RegExpExecArray | undefined => {
    for (const line of comments) {
      const m = re.exec(line);
      if (m !== null) return m;
    }
    return undefined;
  };
  const need = (re: RegExp): RegExpExecArray => {
    const m = find(re);
    if (m === undefined) throw new Error(`${file}: no comment line matches ${String(re)}`);
    return m;
  };
  const frame = need(
    /^# frame: (\w+) sid=(\d+) method=(\S*) total=(\d+) bytes, header_bytes=(\d+), payload=(\d+) bytes/,
  );
  const ints = JSON.parse(need(/^# int keys \(wire order\): (.*)$/)[1] ?? '{}') as Record<
    string,
    string
  >;
  const strList = JSON.parse(find(/^# string keys \(wire order\): (.*)$/)?.[1] ?? '[]') as Record<
    string,
    string
  >[];
  return {
    file,
    bytes: Uint8Array.from(Buffer.from(hex, 'hex')),
    typeName: frame[1] ?? '',
    sid: Number(frame[2]),
    method: frame[3] ?? '',
    total: Number(frame[4]),
    headerBytes: Number(frame[5]),
    payloadBytes: Number(frame[6]),
    ints,
    strs: Object.assign({}, ...strList) as Record<string, string>,
    kitexVersion: need(/^# captured from Kitex (v\S+)/)[1] ?? '',
  };
}

/** Info block ids of TTHeader: string KV, int KV, ACL token. */
const INFO_STR = 0x01;
const INFO_INT = 0x10;
const INFO_ACL = 0x11;

/** A frame with its KV pairs sorted: equal for two encodings that differ only in key order. */
export interface CanonicalFrame {
  /** LENGTH, magic, flags, seq id, HEADER SIZE, protocol id, transform count. */
  readonly prefix: string;
  readonly blocks: { id: number; pairs: string[] }[];
  readonly padding: string;
  readonly payload: string;
}

/**
 * Splits a whole frame (LENGTH included) into its fixed prefix, its info blocks with each
 * block's pairs (as hex) sorted, the padding and the payload; everything stays byte-exact.
 * @throws Error on a transform or an unknown info id (never seen from Kitex).
 */
export function canonical(bytes: Uint8Array): CanonicalFrame {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const end = 14 + view.readUInt16BE(12) * 4;
  if (view[15] !== 0) throw new Error('transforms are not expected');
  let pos = 16;
  const str = (): string => {
    const n = view.readUInt16BE(pos);
    const s = view.subarray(pos, pos + 2 + n).toString('hex');
    pos += 2 + n;
    return s;
  };
  const blocks: { id: number; pairs: string[] }[] = [];
  while (pos < end && view[pos] !== 0) {
    const id = view[pos] as number;
    pos++;
    if (id === INFO_ACL) {
      blocks.push({ id, pairs: [str()] });
      continue;
    }
    if (id !== INFO_STR && id !== INFO_INT) throw new Error(`unknown info id ${id}`);
    const count = view.readUInt16BE(pos);
    pos += 2;
    const pairs: string[] = [];
    for (let i = 0; i < count; i++) {
      if (id === INFO_INT) {
        const key = view.subarray(pos, pos + 2).toString('hex');
        pos += 2;
        pairs.push(key + str());
      } else {
        pairs.push(str() + str());
      }
    }
    blocks.push({ id, pairs: pairs.sort() });
  }
  return {
    prefix: view.subarray(0, 16).toString('hex'),
    blocks: blocks.sort((a, b) => a.id - b.id),
    padding: view.subarray(pos, end).toString('hex'),
    payload: view.subarray(end).toString('hex'),
  };
}

/** Hex (as the tap writes it) to bytes. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
