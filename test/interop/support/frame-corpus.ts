/**
 * The corpus of the differential decoder test (decoder-differential.spec.ts): every golden frame
 * Kitex wrote, each cut at every offset, seeded mutations, the test-matrix 5.1 bad-input
 * catalogue built by hand, golden frames back to back, and frames from our encoder. Everything
 * is seeded, so the corpus is the same on every run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import type { FrameInit } from '../../../lib/protocol/frame.js';
import { HEADER_GDPR_TOKEN } from '../../../lib/protocol/header-keys.js';
import { GOLDEN_DIR, GOLDEN_FILES, loadGolden } from '../../unit/golden/kitex-golden.js';
import {
  bareBlocks,
  concat,
  intBlock,
  rawFrame,
  str,
  strBlock,
  u16,
  u32,
} from '../../unit/protocol/helpers.js';
import { hex, unhex } from '../../unit/thrift/hex.js';

/**
 * Our decoder's LENGTH cap for this run. Lower than the 16 MiB default so that the P-4 size cap
 * is exercised with a 1 MiB frame, high enough for a 65535-word header (262,150 bytes).
 */
export const MAX_FRAME_BYTES = 1 << 20;

// ---------------------------------------------------------------------------------------------
// The corpus

export interface Input {
  /** Where it comes from: `golden`, `truncated`, `mutated`, `catalogue`, `concat`, `encoded`. */
  readonly kind: string;
  readonly name: string;
  readonly bytes: Uint8Array;
}

const utf8 = new TextEncoder();
const b = (...values: number[]): Uint8Array => Uint8Array.from(values);
const s = (text: string): Uint8Array => utf8.encode(text);

/** mulberry32: a tiny seeded PRNG, so that the mutations are the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

/** Every distinct frame Kitex put on the wire: the *.hex files, then capture.jsonl. */
function goldenFrames(): Input[] {
  const seen = new Set<string>();
  const out: Input[] = [];
  const add = (name: string, bytes: Uint8Array): void => {
    const key = hex(bytes);
    if (bytes.length === 0 || seen.has(key)) return;
    seen.add(key);
    out.push({ kind: 'golden', name, bytes });
  };
  for (const file of GOLDEN_FILES) add(file, loadGolden(file).bytes);
  const capture = readFileSync(join(GOLDEN_DIR, 'capture.jsonl'), 'utf8').split('\n');
  capture.forEach((line, i) => {
    if (line.trim() === '') return;
    const record = JSON.parse(line) as { hex?: string };
    if (record.hex !== undefined) add(`capture.jsonl:${i + 1}`, unhex(record.hex));
  });
  return out;
}

/** The int block every Kitex frame has: 27 (frame type) and 9 (method). */
const typed = (type: string | Uint8Array = '2', method: string | Uint8Array = 'Echo'): Uint8Array =>
  bareBlocks(type, method);

/** Test-matrix 5.1 items 1-15 and 22, built by hand. */
function catalogue(): Input[] {
  const out: Input[] = [];
  const add = (name: string, bytes: Uint8Array): void => {
    out.push({ kind: 'catalogue', name, bytes });
  };
  const header = rawFrame({ blocks: concat(strBlock([['isn', 'TestService']]), typed()) });
  const data = rawFrame({ blocks: typed('3'), payload: b(0x08, 0x00, 0x01, 0, 0, 0, 7, 0x00) });
  const withBytes = (base: Uint8Array, at: number, bytes: Uint8Array): Uint8Array => {
    const copy = base.slice();
    copy.set(bytes, at);
    return copy;
  };

  // 1. Partial fixed header.
  for (let n = 1; n <= 13; n++) add(`prefix ${n}`, header.subarray(0, n));
  // 2-4. LENGTH values, followed by the same bytes as a valid frame.
  for (const length of [0, 1, 9, 10, 13, 14, 15, 0x3fffffff, 0x7fffffff, 0x80000000, 0xffffffff]) {
    add(`LENGTH ${length}`, withBytes(header, 0, u32(length)));
    add(`LENGTH ${length} + frame`, concat(withBytes(header, 0, u32(length)), data));
  }
  add('LENGTH - 1', withBytes(header, 0, u32(header.length - 5)));
  add('LENGTH + 1', withBytes(header, 0, u32(header.length - 3)));
  // 4. Over our cap and complete (P-4), and exactly at it.
  add(
    'payload over the cap',
    rawFrame({ blocks: typed('3'), payload: new Uint8Array(MAX_FRAME_BYTES) }),
  );
  add(
    'frame at the cap',
    rawFrame({ blocks: typed('3'), payload: new Uint8Array(MAX_FRAME_BYTES - 30) }),
  );
  // 5-6. Magic and flags.
  for (const word of [
    0x0fff0002, 0x10010002, 0x80010002, 0x47455420, 0xffaf0002, 0x1000ffff, 0x10000000, 0x10000001,
    0x10000003, 0x1000fffd, 0x10008002, 0x10000012,
  ]) {
    add(`magic+flags ${word.toString(16)}`, withBytes(header, 4, u32(word)));
  }
  // 7. Sequence ids.
  for (const sid of [0, -1, 0x7fffffff, -0x80000000])
    add(`sid ${sid}`, rawFrame({ streamId: sid, blocks: typed() }));
  // 8. HEADER SIZE.
  for (const words of [0, 1, 2, 16384, 16385, 65535]) {
    add(`HEADER SIZE ${words} words`, withBytes(header, 12, u16(words)));
  }
  add(
    'HEADER SIZE 65535 words, complete',
    rawFrame({ blocks: concat(typed(), new Uint8Array(262140 - 20)) }),
  );
  // 9. Every protocol id.
  for (let id = 0; id < 256; id++) add(`protocol id ${id}`, withBytes(header, 14, b(id)));
  // 10. Transforms.
  add('2 transforms', rawFrame({ transforms: b(1, 2), blocks: typed() }));
  add('255 transforms, too few bytes', withBytes(header, 15, b(255)));
  add('2 transforms fill the header', rawFrame({ transforms: b(1, 2), blocks: b() }));
  add(
    '3 transforms in a 1-word header',
    rawFrame({ transforms: b(1, 2, 3), blocks: b(), headerWords: 1 }),
  );
  // 11. Every info id, at the start of the info area.
  for (let id = 0; id < 256; id++)
    add(`info id ${id}`, rawFrame({ blocks: concat(b(id), typed()) }));
  add('info id as the last byte', rawFrame({ blocks: concat(typed(), b(0x00, 0x01)) }));
  // 12. String KV.
  add('str count 0', rawFrame({ blocks: concat(strBlock([]), typed()) }));
  add(
    'str count 65535, data for 1',
    rawFrame({ blocks: concat(strBlock([['k', 'v']], 65535), typed()) }),
  );
  add(
    'str key runs past the end',
    rawFrame({ blocks: concat(typed(), b(0x01, 0, 1, 0, 200, 0x61)) }),
  );
  add(
    'str value runs past the end',
    rawFrame({ blocks: concat(typed(), b(0x01, 0, 1, 0, 1, 0x6b, 0, 99)) }),
  );
  add(
    'str 65535-byte value',
    rawFrame({ blocks: concat(strBlock([['k', 'v'.repeat(65535)]]), typed()) }),
  );
  add('str empty key', rawFrame({ blocks: concat(strBlock([['', 'v']]), typed()) }));
  add(
    'str duplicate key',
    rawFrame({
      blocks: concat(
        strBlock([
          ['k', '1'],
          ['k', '2'],
        ]),
        typed(),
      ),
    }),
  );
  add(
    'str duplicate across blocks',
    rawFrame({ blocks: concat(strBlock([['k', '1']]), typed(), strBlock([['k', '2']])) }),
  );
  add(
    'str non-UTF-8',
    rawFrame({ blocks: concat(strBlock([[b(0xff, 0xfe), b(0xc3, 0x28)]]), typed()) }),
  );
  add(
    'str non-UTF-8 keys that decode alike',
    rawFrame({
      blocks: concat(
        strBlock([
          [b(0xff), '1'],
          [b(0xfe), '2'],
        ]),
        typed(),
      ),
    }),
  );
  add('str NUL bytes', rawFrame({ blocks: concat(strBlock([[b(0, 0x61), b(0x62, 0)]]), typed()) }));
  add(
    'str BOM',
    rawFrame({
      blocks: concat(strBlock([[b(0xef, 0xbb, 0xbf, 0x6b), b(0xef, 0xbb, 0xbf)]]), typed()),
    }),
  );
  add(
    'str __proto__ / constructor',
    rawFrame({
      blocks: concat(
        strBlock([
          ['__proto__', 'x'],
          ['constructor', 'y'],
        ]),
        typed(),
      ),
    }),
  );
  // 13. Int KV and the frame type.
  for (const type of [
    '0',
    '1',
    '3',
    '4',
    '5',
    '6',
    '9',
    '10',
    '12',
    '2147483647',
    '2147483648',
    '',
    '03',
    '3 ',
    ' 3',
    '+3',
    '-1',
    '3\u0000',
    '\u0663',
    '9'.repeat(100),
  ]) {
    add(`frame type ${JSON.stringify(type)}`, rawFrame({ blocks: typed(type) }));
  }
  add('frame type missing', rawFrame({ blocks: intBlock([[9, 'Echo']]) }));
  add(
    'frame type duplicated "2","3"',
    rawFrame({
      blocks: intBlock([
        [27, '2'],
        [9, 'Echo'],
        [27, '3'],
      ]),
    }),
  );
  add(
    'frame type duplicated "9","3"',
    rawFrame({
      blocks: intBlock([
        [27, '9'],
        [27, '3'],
        [9, 'Echo'],
      ]),
    }),
  );
  add(
    'frame type duplicated "3","9"',
    rawFrame({
      blocks: intBlock([
        [27, '3'],
        [27, '9'],
        [9, 'Echo'],
      ]),
    }),
  );
  add(
    'frame type in a second int block',
    rawFrame({ blocks: concat(intBlock([[9, 'Echo']]), intBlock([[27, '4']])) }),
  );
  add('method missing', rawFrame({ blocks: intBlock([[27, '2']]) }));
  add('method empty', rawFrame({ blocks: typed('2', '') }));
  add('method 65535 bytes', rawFrame({ blocks: typed('2', 'm'.repeat(65535)) }));
  add('method non-UTF-8', rawFrame({ blocks: typed('2', b(0x45, 0xff, 0x80)) }));
  add(
    'int key 12 and 65535',
    rawFrame({
      blocks: intBlock([
        [27, '2'],
        [9, 'Echo'],
        [12, '300'],
        [65535, 'x'],
      ]),
    }),
  );
  add(
    'int key duplicated',
    rawFrame({
      blocks: intBlock([
        [27, '2'],
        [9, 'A'],
        [12, '1'],
        [12, '2'],
        [9, 'B'],
      ]),
    }),
  );
  add('int count 0', rawFrame({ blocks: concat(intBlock([]), typed()) }));
  add(
    'int count too big',
    rawFrame({
      blocks: intBlock(
        [
          [27, '2'],
          [9, 'Echo'],
        ],
        3,
      ),
    }),
  );
  add('int key truncated', rawFrame({ blocks: concat(typed(), b(0x10, 0, 1, 0)) }));
  add(
    'int value runs past the end',
    rawFrame({ blocks: concat(typed(), b(0x10, 0, 1, 0, 12, 0, 50)) }),
  );
  // 14. ACL token and padding.
  add('ACL token', rawFrame({ blocks: concat(b(0x11), str('tok'), typed()) }));
  add(
    'ACL token and str key',
    rawFrame({
      blocks: concat(b(0x11), str('tok'), strBlock([[HEADER_GDPR_TOKEN, 'x']]), typed()),
    }),
  );
  add('ACL token truncated', rawFrame({ blocks: concat(typed(), b(0x11, 0, 9, 0x61)) }));
  add(
    'padding in the middle',
    rawFrame({ blocks: concat(b(0, 0, 0), strBlock([['k', 'v']]), b(0, 0), typed()) }),
  );
  add('non-zero byte in the padding', rawFrame({ blocks: concat(typed(), b(0x01)) }));
  add('0x10 in the padding', rawFrame({ blocks: concat(typed(), b(0x10)) }));
  add('0x11 in the padding', rawFrame({ blocks: concat(typed(), b(0x11)) }));
  // 15. Payload by frame type.
  add('DATA empty payload', rawFrame({ blocks: typed('3') }));
  add('HEADER with payload', rawFrame({ blocks: typed('2'), payload: s('xyz') }));
  add('RST with payload', rawFrame({ blocks: typed('5'), payload: s('xyz') }));
  add('META with str', rawFrame({ blocks: concat(strBlock([['rip', '1.2.3.4']]), typed('1')) }));
  add(
    'DATA with str block',
    rawFrame({ blocks: concat(strBlock([['k', 'v']]), typed('3')), payload: b(0) }),
  );
  add(
    'TRAILER with str block',
    rawFrame({ blocks: concat(strBlock([['biz-status', '1']]), typed('4')) }),
  );
  // Our parser reuses the previous frame's method string when the bytes match: vary them.
  add(
    'methods of equal length',
    concat(rawFrame({ blocks: typed('2', 'Echo') }), rawFrame({ blocks: typed('3', 'Echp') })),
  );
  add(
    'method reused after invalid bytes',
    concat(rawFrame({ blocks: typed('2', b(0xff)) }), rawFrame({ blocks: typed('3', b(0xfe)) })),
  );
  // 22. Two frames, the first LENGTH off by one either way.
  add('pair, LENGTH - 1', concat(withBytes(header, 0, u32(header.length - 5)), data));
  add('pair, LENGTH + 1', concat(withBytes(header, 0, u32(header.length - 3)), data));
  add('pair, LENGTH < header', concat(withBytes(header, 0, u32(header.length - 8)), data));
  return out;
}

/** Every prefix of each golden frame: 0 .. length - 1 bytes. */
function truncations(goldens: readonly Input[]): Input[] {
  return goldens.flatMap((g) =>
    Array.from({ length: g.bytes.length }, (_, cut) => ({
      kind: 'truncated',
      name: `${g.name} cut at ${cut}`,
      bytes: g.bytes.subarray(0, cut),
    })),
  );
}

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x30, 0x33, 0x36, 0x7f, 0x80, 0xfe, 0xff];

/** One random edit: set a byte, flip a bit, write an edge value, insert or delete a byte. */
function mutateOnce(bytes: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  const at = pick(bytes.length);
  const out = bytes.slice();
  switch (pick(6)) {
    case 0:
      out[at] = pick(256);
      return out;
    case 1:
      out[at] = (out[at] as number) ^ (1 << pick(8));
      return out;
    case 2:
      out[at] = INTERESTING[pick(INTERESTING.length)] as number;
      return out;
    case 3: {
      const value = [0, 1, 0x7f, 0xff, 0x7fff, 0xffff][pick(6)] as number;
      out.set(u16(value).subarray(0, Math.min(2, out.length - at)), at);
      return out;
    }
    case 4:
      return concat(bytes.subarray(0, at), b(pick(256)), bytes.subarray(at));
    default:
      return concat(bytes.subarray(0, at), bytes.subarray(at + 1));
  }
}

/** `singles` one-edit and `multis` 2-to-4-edit mutants of each seed. */
function mutations(
  seeds: readonly Input[],
  singles: number,
  multis: number,
  seed: number,
): Input[] {
  const random = prng(seed);
  const out: Input[] = [];
  for (const input of seeds) {
    if (input.bytes.length === 0 || input.bytes.length > 4096) continue;
    for (let i = 0; i < singles + multis; i++) {
      let bytes = input.bytes;
      const edits = i < singles ? 1 : 2 + Math.floor(random() * 3);
      for (let e = 0; e < edits && bytes.length > 0; e++) bytes = mutateOnce(bytes, random);
      out.push({ kind: 'mutated', name: `${input.name} mutant ${i}`, bytes });
    }
  }
  return out;
}

/** Golden frames back to back: each with the next one, and all of them in one string. */
function concatenations(goldens: readonly Input[]): Input[] {
  const out = goldens.map((g, i) => {
    const next = goldens[(i + 1) % goldens.length] as Input;
    return { kind: 'concat', name: `${g.name} + ${next.name}`, bytes: concat(g.bytes, next.bytes) };
  });
  out.push({ kind: 'concat', name: 'all goldens', bytes: concat(...goldens.map((g) => g.bytes)) });
  return out;
}

// Arbitrary frames for our encoder: all five types plus unknown ones, any pairs, binary payloads.
const text = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength });
const frameInit: fc.Arbitrary<FrameInit> = fc.record({
  type: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 5 }), weight: 9 },
    fc.integer({ min: 0, max: 300 }),
  ),
  streamId: fc.oneof(
    fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000),
  ),
  method: text(30),
  strHeaders: fc
    .uniqueArray(
      fc.tuple(
        fc.oneof(text(20), fc.constantFrom('isn', '__proto__', 'ttscp', HEADER_GDPR_TOKEN)),
        text(40),
      ),
      { selector: ([key]) => key, maxLength: 6 },
    )
    .map((pairs) => new Map(pairs)),
  intHeaders: fc
    .uniqueArray(
      fc.tuple(
        fc.integer({ min: 0, max: 0xffff }).filter((k) => k !== 9 && k !== 27),
        text(20),
      ),
      { selector: ([key]) => key, maxLength: 4 },
    )
    .map((pairs) => new Map(pairs)),
  payload: fc.uint8Array({ maxLength: 300 }),
});

/** Frames from our encoder (fixed seeds): 400 alone and 100 runs of 2 to 4. */
function encoded(): Input[] {
  // encodeFrame may return a view into a shared buffer: copy at once.
  const encode = (init: FrameInit): Uint8Array => encodeFrame(init).slice();
  const singles = fc.sample(frameInit, { seed: 20260901, numRuns: 400 });
  const runs = fc.sample(fc.array(frameInit, { minLength: 2, maxLength: 4 }), {
    seed: 7,
    numRuns: 100,
  });
  return [
    ...singles.map((f, i) => ({ kind: 'encoded', name: `encoded ${i}`, bytes: encode(f) })),
    ...runs.map((fs, i) => ({
      kind: 'encoded',
      name: `encoded run ${i}`,
      bytes: concat(...fs.map(encode)),
    })),
  ];
}

export function buildCorpus(): Input[] {
  const goldens = goldenFrames();
  const hand = catalogue();
  return [
    { kind: 'golden', name: 'empty input', bytes: b() },
    ...goldens,
    ...truncations(goldens),
    ...mutations(goldens, 40, 20, 1),
    ...hand,
    ...mutations(hand, 8, 4, 2),
    ...concatenations(goldens),
    ...mutations(concatenations(goldens).slice(0, 20), 10, 10, 3),
    ...encoded(),
  ];
}
