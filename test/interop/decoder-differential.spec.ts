/**
 * Differential decoder test (test-matrix.md 5.2 "Differential"): one deterministic corpus of
 * byte strings goes through Kitex's own decoder (`kitex-peer/bin/framediff`, which loops
 * `ttstream.DecodeFrame` of Kitex v0.16.3) and through our `FrameDecoder`; the verdicts must
 * agree. Every known divergence is a named class below, recognised by a precise predicate at
 * the first frame where the two sides part, and its count is pinned. Anything else fails with
 * the input hex. Corpus and divergences: test/interop/README.md, "Differential decoder".
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from '@jest/globals';
import { FrameDecodeError } from '../../lib/protocol/frame-decode-error.js';
import { FrameDecoder } from '../../lib/protocol/frame-decoder.js';
import type { Frame } from '../../lib/protocol/frame.js';
import { encodeUtf8 } from '../../lib/protocol/utf8.js';
import { hex } from '../unit/thrift/hex.js';
import { buildCorpus, type Input, MAX_FRAME_BYTES } from './support/frame-corpus.js';
import { PEER_BIN } from './support/peer.js';

// ---------------------------------------------------------------------------------------------
// The two decoders

/** One frame as framediff prints it: header strings as hex (Kitex keeps raw bytes). */
interface KitexFrame {
  readonly sid: number;
  readonly type: number;
  readonly method: string;
  /** Decimal key -> hex value, keys 27 and 9 included. */
  readonly int: Record<string, string>;
  /** Hex key -> hex value: the map Kitex's Frame keeps (empty for DATA). */
  readonly str: Record<string, string>;
  /** The DATA frame's string block that DecodeFrame dropped (hex key -> hex value). */
  readonly wire_str?: Record<string, string>;
  readonly payload: string;
}

interface KitexVerdict {
  readonly ok: boolean;
  readonly incomplete: boolean;
  readonly frames: KitexFrame[];
  readonly error?: string;
}

interface OurVerdict {
  readonly ok: boolean;
  /** Rejected by `end()`: a partial frame was left. Otherwise `push()` threw. */
  readonly incomplete: boolean;
  /** The frames decoded (before the error, if any). */
  readonly frames: readonly Frame[];
  readonly error?: FrameDecodeError;
}

/** Runs the whole corpus through one framediff process; one verdict per input, in order. */
async function kitexVerdicts(inputs: readonly Input[]): Promise<KitexVerdict[]> {
  const path = join(PEER_BIN, 'framediff');
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run test/interop/build-peer.sh (npm run test:interop)`);
  }
  const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 100_000) stderr += chunk;
  });
  const verdicts: KitexVerdict[] = [];
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
    verdicts.push(JSON.parse(line) as KitexVerdict);
  });
  const exited = new Promise<number | null>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`framediff did not finish within 60 s; stderr: ${stderr}`));
    }, 60_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
  child.stdin.end(inputs.map((input) => `{"hex":"${hex(input.bytes)}"}\n`).join(''));
  const code = await exited;
  if (code !== 0 || verdicts.length !== inputs.length) {
    throw new Error(
      `framediff exited ${code} after ${verdicts.length}/${inputs.length} verdicts: ${stderr}`,
    );
  }
  return verdicts;
}

/**
 * Our decoder on one input pushed as one chunk, then end(). Its header caps (a policy Kitex does
 * not have) are lifted to the wire's own bounds, so the comparison is of the parsers.
 */
function ourVerdict(bytes: Uint8Array): OurVerdict {
  const decoder = new FrameDecoder({
    maxFrameBytes: MAX_FRAME_BYTES,
    maxHeaderKeys: Infinity,
    maxHeaderBytes: Infinity,
  });
  let frames: Frame[];
  try {
    frames = decoder.push(bytes);
  } catch (error) {
    if (!(error instanceof FrameDecodeError)) throw error; // any other error is a bug: fail
    return { ok: false, incomplete: false, frames: error.framesBefore, error };
  }
  try {
    decoder.end();
  } catch (error) {
    if (!(error instanceof FrameDecodeError)) throw error;
    return { ok: false, incomplete: true, frames, error };
  }
  return { ok: true, incomplete: false, frames };
}

// ---------------------------------------------------------------------------------------------
// Comparing frames

// Header strings are compared as bytes: ours encoded back with our own encoder (binary-safe: a
// byte that is not UTF-8 decodes to U+DC80-U+DCFF and encodes back to itself) against the raw
// bytes Kitex kept. So a lossy decode on our side would show up here as a difference.
const wire = (text: string): string => hex(encodeUtf8(text));

/** The string pairs of a Kitex frame as they were on the wire (DATA: what DecodeFrame dropped). */
const wireStr = (frame: KitexFrame): Record<string, string> => frame.wire_str ?? frame.str;

/** Why `ours` differs from `kitex`, or undefined when they are the same frame. */
function frameDiff(kitex: KitexFrame, ours: Frame): string | undefined {
  if (kitex.sid !== ours.streamId) return `sid ${kitex.sid} vs ${ours.streamId}`;
  if (kitex.type !== ours.type) return `type ${kitex.type} vs ${ours.type}`;
  if (wire(ours.method) !== kitex.method) return `method ${kitex.method} vs ${ours.method}`;
  if (kitex.payload !== hex(ours.payload)) return 'payload';
  const ints = Object.entries(kitex.int)
    .filter(([key]) => key !== '27' && key !== '9')
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const ourInts = [...ours.intHeaders].map(([key, value]) => `${key}=${wire(value)}`).sort();
  if (JSON.stringify(ints) !== JSON.stringify(ourInts)) {
    return `int ${JSON.stringify(ints)} vs ${JSON.stringify(ourInts)}`;
  }
  const strs = Object.entries(wireStr(kitex))
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const ourStrs = [...ours.strHeaders].map(([key, value]) => `${wire(key)}=${wire(value)}`).sort();
  if (JSON.stringify(strs) !== JSON.stringify(ourStrs)) {
    return `str ${JSON.stringify(strs)} vs ${JSON.stringify(ourStrs)}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Divergence classes

/** LENGTH and HEADER SIZE of the frame at `at`, when its 14 fixed bytes are present. */
function fixedHeader(bytes: Uint8Array, at: number): { length: number; words: number } | undefined {
  if (bytes.length - at < 14) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return { length: view.readUInt32BE(at), words: view.readUInt16BE(at + 12) };
}

/** Where our decoder's frame number `index` starts: our framing is 4 + LENGTH per frame. */
function ourOffset(bytes: Uint8Array, index: number): number {
  let at = 0;
  for (let i = 0; i < index; i++) at += 4 + (fixedHeader(bytes, at)?.length ?? 0);
  return at;
}

/** One input with both verdicts and the first frame index at which they part (if any). */
interface Case {
  readonly input: Input;
  readonly kitex: KitexVerdict;
  readonly ours: OurVerdict;
  /** First frame that only one side decoded or that differs; undefined when they agree. */
  readonly index: number | undefined;
  /** Where our decoder's frame `index` (or its failing frame) starts. */
  readonly offset: number;
}

interface Divergence {
  readonly name: string;
  /** Which side follows shared/spec/ttstream-protocol.md, and why the other differs. */
  readonly reason: string;
  readonly matches: (c: Case) => boolean;
}

/** We rejected frame `index` with a fixed-header error matching `error`, and Kitex decoded it. */
function weRejectKitexDecodes(c: Case, error: RegExp): boolean {
  return (
    c.index !== undefined &&
    !c.ours.ok &&
    !c.ours.incomplete &&
    c.ours.frames.length === c.index &&
    c.kitex.frames.length > c.index &&
    error.test(c.ours.error?.message ?? '')
  );
}

/** The verdicts differ: one side accepts a frame that the other rejects. */
const VERDICT_DIVERGENCES: readonly Divergence[] = [
  {
    name: 'LENGTH below the header (P-5): Kitex decodes, we reject',
    reason:
      'LENGTH < 10 + HEADER_SIZE*4 (every LENGTH < 14 is one). Kitex computes a negative payload ' +
      'length, decodes the frame with no payload and reads the next frame right after the header ' +
      'info, out of sync. Spec 1.2 defines LENGTH = 10 + headerInfoLen + payloadLen, so the frame ' +
      'is malformed: we follow the spec (and test-matrix P-5); Kitex does not check.',
    matches: (c) => {
      const head = fixedHeader(c.input.bytes, c.offset);
      return (
        weRejectKitexDecodes(c, /is below the minimum|exceeds frame length/) &&
        head !== undefined &&
        head.length < 10 + head.words * 4
      );
    },
  },
  {
    name: 'unknown frame type (policy 3): Kitex rejects, we decode',
    reason:
      'Int key 27 is a canonical decimal int32 other than "1"-"5". Kitex rejects the frame ' +
      '("unexpected frame type"), as spec 1.6 says ("int key 27 is missing or not 1-5"). We pass ' +
      'it on for the transport to skip: DESIGN policy 3, allowed by spec 12 item 1 ("or better, ' +
      'ignore them"). Non-canonical values ("", "03", "3 ", "+3") are rejected by both.',
    matches: (c) => {
      const frame = c.index === undefined ? undefined : c.ours.frames[c.index];
      return (
        frame !== undefined &&
        (frame.type < 1 || frame.type > 5) &&
        !c.kitex.ok &&
        c.kitex.frames.length === c.index &&
        /unexpected frame type/.test(c.kitex.error ?? '')
      );
    },
  },
  {
    name: 'LENGTH over maxFrameBytes (P-4): Kitex decodes, we reject',
    reason:
      `A complete frame with LENGTH > maxFrameBytes (${MAX_FRAME_BYTES} in this run, 16 MiB by ` +
      'default). Kitex has no cap (spec 1.6: "No payload limit is enforced beyond memory"); we ' +
      'reject before allocating (DESIGN policy 6, test-matrix P-4). The spec leaves the limit to ' +
      'the implementation, so both conform.',
    matches: (c) => {
      const head = fixedHeader(c.input.bytes, c.offset);
      return (
        weRejectKitexDecodes(c, /exceeds maxFrameBytes/) &&
        head !== undefined &&
        head.length > MAX_FRAME_BYTES
      );
    },
  },
];

/** Both sides decode the same frames; some fields differ in a known way (already normalised). */
const FIELD_DIVERGENCES: readonly Divergence[] = [
  {
    name: 'DATA with a string block: Kitex drops it, we keep it',
    reason:
      'gopkg decodes the string block of every frame, but DecodeFrame keeps it only for META, ' +
      'HEADER, TRAILER and RST. Our Frame keeps it (compared here with what gopkg decoded) and the ' +
      'transport ignores it. Spec 2: DATA carries no string block, so neither side is wrong.',
    matches: (c) => c.kitex.frames.some((f) => f.wire_str !== undefined),
  },
];

/** Both sides reject, at different moments (one waits for bytes, the other has decided). */
const TIMING_DIVERGENCES: readonly Divergence[] = [
  {
    name: 'Kitex waits for more bytes, we already reject',
    reason:
      'Kitex reads 14 bytes, then all 14 + HEADER_SIZE*4 header bytes, then the payload, and ' +
      'checks only the magic and HEADER SIZE != 0 before the header info is in. We check LENGTH ' +
      '(min 14, cap), magic, flags and HEADER SIZE against LENGTH as soon as their bytes arrive.',
    matches: (c) => {
      const head = fixedHeader(c.input.bytes, c.offset);
      const needs = head === undefined ? 14 : Math.max(14 + 4 * head.words, 4 + head.length);
      return c.kitex.incomplete && !c.ours.incomplete && c.input.bytes.length - c.offset < needs;
    },
  },
  {
    name: 'Kitex rejects the header info, we wait for the rest of the frame',
    reason:
      'The header info is in but the payload is not. Kitex parses the header info at once; we ' +
      'parse a frame once its LENGTH bytes are in. Once they are, the classes above apply.',
    matches: (c) => {
      const head = fixedHeader(c.input.bytes, c.offset);
      const left = c.input.bytes.length - c.offset;
      return (
        !c.kitex.incomplete &&
        c.ours.incomplete &&
        head !== undefined &&
        left < 4 + head.length &&
        left >= 14 + head.words * 4
      );
    },
  },
];

/** The first frame index at which the lists differ (or the verdicts do), with why. */
function firstSplit(
  kitex: KitexVerdict,
  ours: OurVerdict,
): { index: number; why: string } | undefined {
  const n = Math.min(kitex.frames.length, ours.frames.length);
  for (let i = 0; i < n; i++) {
    const why = frameDiff(kitex.frames[i] as KitexFrame, ours.frames[i] as Frame);
    if (why !== undefined) return { index: i, why };
  }
  if (kitex.frames.length !== ours.frames.length) {
    return { index: n, why: `${kitex.frames.length} vs ${ours.frames.length} frames` };
  }
  if (kitex.ok !== ours.ok) return { index: n, why: `ok ${kitex.ok} vs ${ours.ok}` };
  return undefined;
}

function explain(c: Case, why: string): string {
  const bytes = c.input.bytes;
  const shown =
    bytes.length > 600 ? `${hex(bytes.subarray(0, 600))}… (${bytes.length} bytes)` : hex(bytes);
  return (
    `${c.input.kind} "${c.input.name}": ${why}\n  hex: ${shown}\n` +
    `  kitex: ok=${c.kitex.ok} incomplete=${c.kitex.incomplete} frames=${c.kitex.frames.length} ` +
    `error=${c.kitex.error ?? ''}\n` +
    `  ours:  ok=${c.ours.ok} incomplete=${c.ours.incomplete} frames=${c.ours.frames.length} ` +
    `error=${c.ours.error?.message ?? ''}`
  );
}

// ---------------------------------------------------------------------------------------------

describe('differential: Kitex ttstream.DecodeFrame vs our FrameDecoder', () => {
  it('agrees on the whole corpus, except for the documented divergences', async () => {
    const corpus = buildCorpus();
    const kitex = await kitexVerdicts(corpus);

    const zero = (list: readonly Divergence[]): Record<string, number> =>
      Object.fromEntries(list.map((d) => [d.name, 0]));
    const report = {
      corpus: corpus.length,
      byKind: {} as Record<string, number>,
      acceptedByBoth: 0,
      rejectedByBoth: 0,
      verdict: zero(VERDICT_DIVERGENCES),
      fields: zero(FIELD_DIVERGENCES),
      timing: zero(TIMING_DIVERGENCES),
    };
    const count = (list: readonly Divergence[], into: Record<string, number>, c: Case): boolean => {
      const hits = list.filter((d) => d.matches(c));
      for (const d of hits) into[d.name] = (into[d.name] ?? 0) + 1;
      return hits.length > 0;
    };
    const unexplained: string[] = [];

    corpus.forEach((input, i) => {
      report.byKind[input.kind] = (report.byKind[input.kind] ?? 0) + 1;
      const k = kitex[i] as KitexVerdict;
      if (k.error?.startsWith('framediff:') === true) throw new Error(k.error);
      const ours = ourVerdict(input.bytes);
      const split = firstSplit(k, ours);
      const index = split?.index;
      const c: Case = {
        input,
        kitex: k,
        ours,
        index,
        offset: ourOffset(input.bytes, index ?? ours.frames.length),
      };

      // A golden frame cut short is a frame still arriving: both must say "incomplete".
      if (
        input.kind === 'truncated' &&
        input.bytes.length > 0 &&
        !(k.incomplete && ours.incomplete)
      ) {
        unexplained.push(explain(c, 'a truncated frame is not "incomplete" on both sides'));
      }
      if (split !== undefined) {
        // The first verdict divergence explains the split; what follows it is not compared.
        const hit = VERDICT_DIVERGENCES.filter((d) => d.matches(c));
        if (hit.length !== 1)
          unexplained.push(explain(c, `${split.why} (${hit.length} classes match)`));
        else count(hit, report.verdict, c);
        return;
      }
      if (k.ok) report.acceptedByBoth++;
      else report.rejectedByBoth++;
      count(FIELD_DIVERGENCES, report.fields, c);
      if (
        !k.ok &&
        k.incomplete !== ours.incomplete &&
        !count(TIMING_DIVERGENCES, report.timing, c)
      ) {
        unexplained.push(explain(c, 'both reject, at an unexplained moment'));
      }
    });

    const lines = [
      `decoder-differential: ${corpus.length} inputs ${JSON.stringify(report.byKind)}`,
    ];
    lines.push(
      `  agree: ${report.acceptedByBoth} accepted by both, ${report.rejectedByBoth} rejected by both`,
    );
    for (const [title, list, counts] of [
      ['verdict divergences', VERDICT_DIVERGENCES, report.verdict],
      ['field divergences (frames otherwise equal)', FIELD_DIVERGENCES, report.fields],
      ['reject-timing divergences (both reject)', TIMING_DIVERGENCES, report.timing],
    ] as const) {
      lines.push(`  ${title}:`);
      for (const d of list)
        lines.push(`    ${counts[d.name] ?? 0}  ${d.name}\n        ${d.reason}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    expect({ unexplained: unexplained.length, first: unexplained.slice(0, 20) }).toEqual({
      unexplained: 0,
      first: [],
    });
    // Pinned: a change means a decoder (or the corpus) changed; review the new cases first.
    expect(report).toEqual({
      corpus: 18750,
      byKind: {
        golden: 57,
        truncated: 6051,
        mutated: 11440,
        catalogue: 645,
        concat: 57,
        encoded: 500,
      },
      acceptedByBoth: 2089,
      rejectedByBoth: 16461,
      verdict: {
        'LENGTH below the header (P-5): Kitex decodes, we reject': 109,
        'unknown frame type (policy 3): Kitex rejects, we decode': 90,
        'LENGTH over maxFrameBytes (P-4): Kitex decodes, we reject': 1,
      },
      fields: {
        'DATA with a string block: Kitex drops it, we keep it': 107,
      },
      timing: {
        'Kitex waits for more bytes, we already reject': 1534,
        'Kitex rejects the header info, we wait for the rest of the frame': 383,
      },
    });
  }, 120_000);
});
