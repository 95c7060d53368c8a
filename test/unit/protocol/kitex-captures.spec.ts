// Frames captured from a real Kitex v0.16.3 peer (test/fixtures/kitex, written by the interop
// suite's recording tap): our decoder must read every one as the tap did, and our encoder must
// reproduce Kitex's bytes whenever Go happened to write the pairs in our order.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { FrameDecoder } from '../../../lib/protocol/frame-decoder.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import type { Frame, FrameInit } from '../../../lib/protocol/frame.js';
import { frameTypeName } from '../../../lib/protocol/frame-type.js';
import { concat, fromHex, plain, type PlainFrame, toHex } from './helpers.js';

const KITEX = new URL('../../fixtures/kitex/', import.meta.url);

/** One line of the tap's capture.jsonl (only the fields used here). */
interface Captured {
  readonly conn: number;
  readonly dir: string;
  readonly seq: number;
  readonly event?: string;
  readonly hex: string;
  readonly sid: number;
  readonly type: string;
  readonly method?: string;
  readonly int?: Record<string, string>;
  readonly int_order?: number[];
  readonly str?: Record<string, string>;
  readonly str_order?: string[];
  readonly payload_hex?: string;
}

const captured: Captured[] = readFileSync(new URL('capture.jsonl', KITEX), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Captured)
  .filter((record) => record.event === undefined && record.hex !== '');

/** The frame the tap decoded, in our model, with pairs in Kitex's wire order. */
function tapFrame(record: Captured): FrameInit {
  const ints = record.int ?? {};
  const intOrder = (record.int_order ?? []).filter((key) => key !== 27 && key !== 9);
  return {
    type: Number(record.type),
    streamId: record.sid,
    method: record.method ?? '',
    intHeaders: new Map(intOrder.map((key) => [key, ints[String(key)]!])),
    strHeaders: new Map((record.str_order ?? []).map((key) => [key, record.str![key]!])),
    payload: fromHex(record.payload_hex ?? ''),
  };
}

function expected(init: FrameInit): PlainFrame {
  return plain({
    intHeaders: new Map(),
    strHeaders: new Map(),
    payload: new Uint8Array(0),
    ...init,
  });
}

function decodeAll(chunks: readonly Uint8Array[]): Frame[] {
  const decoder = new FrameDecoder();
  const frames = chunks.flatMap((chunk) => decoder.push(chunk));
  expect(decoder.bufferedBytes).toBe(0);
  return frames;
}

const label = (record: Captured) =>
  `conn ${record.conn} ${record.dir} #${record.seq} ${frameTypeName(Number(record.type))} ${record.method ?? ''}`;

describe('Kitex v0.16.3 captures (capture.jsonl)', () => {
  it('has frames of every type Kitex sends', () => {
    expect(captured.length).toBeGreaterThan(50);
    expect(new Set(captured.map((record) => record.type))).toEqual(new Set(['2', '3', '4', '5']));
  });

  it.each(captured.map((record) => [label(record), record] as const))(
    '%s decodes as the tap read it',
    (_, record) => {
      const frames = decodeAll([fromHex(record.hex)]);
      expect(frames.map(plain)).toEqual([expected(tapFrame(record))]);
    },
  );

  it.each(captured.map((record) => [label(record), record] as const))(
    '%s re-encodes to the same bytes (modulo Go key order)',
    (_, record) => {
      const original = fromHex(record.hex);
      const init = tapFrame(record);
      const ours = encodeFrame(init);
      expect(ours.length).toBe(original.length);
      // Same fixed header and payload in any case; the same bytes when Go wrote 27 before 9.
      expect(toHex(ours.subarray(0, 16))).toBe(toHex(original.subarray(0, 16)));
      expect(toHex(ours.subarray(ours.length - init.payload!.length))).toBe(
        toHex(original.subarray(original.length - init.payload!.length)),
      );
      const order = record.int_order ?? [];
      if (order[0] === 27 && order[1] === 9) expect(toHex(ours)).toBe(record.hex);
      expect(decodeAll([ours]).map(plain)).toEqual(decodeAll([original]).map(plain));
    },
  );

  it('decodes every connection direction as one stream, whole or in 7-byte and 1-byte chunks', () => {
    const streams = new Map<string, Captured[]>();
    for (const record of captured) {
      const key = `${record.conn}/${record.dir}`;
      streams.set(key, [...(streams.get(key) ?? []), record]);
    }
    for (const records of streams.values()) {
      const bytes = concat(...records.sort((a, b) => a.seq - b.seq).map((r) => fromHex(r.hex)));
      const want = records.map((record) => expected(tapFrame(record)));
      for (const size of [bytes.length, 7, 1]) {
        const chunks: Uint8Array[] = [];
        for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
        expect(decodeAll(chunks).map(plain)).toEqual(want);
      }
    }
  });
});

describe('Kitex v0.16.3 golden frames (*.hex)', () => {
  const names = readdirSync(KITEX).filter((name) => name.endsWith('.hex'));
  const FRAME_LINE =
    /^# frame: (\w+) sid=(-?\d+) method=(\S*) total=(\d+) bytes, header_bytes=(\d+), payload=(\d+) bytes$/m;

  it.each(names)('%s decodes as its comments say', (name) => {
    const text = readFileSync(new URL(name, KITEX), 'utf8');
    const [, typeName, sid, method, total, , payload] = FRAME_LINE.exec(text) ?? [];
    const ints = JSON.parse(/^# int keys \(wire order\): (.*)$/m.exec(text)![1]!) as Record<
      string,
      string
    >;
    const strs = JSON.parse(/^# string keys \(wire order\): (.*)$/m.exec(text)![1]!) as Record<
      string,
      string
    >[];
    const bytes = fromHex(text.replace(/#.*$/gm, ''));
    expect(bytes.length).toBe(Number(total));

    const [frame] = decodeAll([bytes]);
    expect(frameTypeName(frame!.type)).toBe(typeName);
    expect(frame!.streamId).toBe(Number(sid));
    expect(frame!.method).toBe(method);
    expect(frame!.payload.length).toBe(Number(payload));
    expect(String(frame!.type)).toBe(ints['27']);
    expect(Object.keys(ints).filter((key) => key !== '27' && key !== '9')).toEqual([]);
    expect(frame!.intHeaders.size).toBe(0);
    expect(frame!.method).toBe(ints['9']);
    expect(Object.fromEntries(frame!.strHeaders)).toEqual(Object.assign({}, ...strs));
  });
});
