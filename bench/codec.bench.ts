// Frame codec throughput: DATA frames with 64 B, 1 KB and 64 KB payloads, both ways, plus one
// 16 MiB frame. Run with `npm run bench:codec` (compiles with tsconfig.run.json first).
import { FrameDecoder } from '../lib/protocol/frame-decoder.js';
import { encodeFrame, encodeFrameHead } from '../lib/protocol/frame-encoder.js';
import type { FrameInit } from '../lib/protocol/frame.js';
import { FrameType } from '../lib/protocol/frame-type.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../lib/protocol/ttheader-constants.js';
import { type Measurement, measure, printTable } from './support/measure.js';

// Socket reads arrive in chunks of about this size; decoding is fed the same way.
const READ_CHUNK = 64 * 1024;

const CASES = [
  { label: '64 B', payload: 64, iterations: 1_000_000 },
  { label: '1 KB', payload: 1024, iterations: 1_000_000 },
  { label: '64 KB', payload: 64 * 1024, iterations: 20_000 },
] as const;

function dataFrame(payloadBytes: number, streamId = 1): FrameInit {
  const payload = new Uint8Array(payloadBytes);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  return { type: FrameType.Data, streamId, method: 'ServerStream', payload };
}

/** `count` frames back to back, cut into READ_CHUNK-sized chunks (frames may straddle chunks). */
function wireChunks(frame: Uint8Array, count: number): Uint8Array[] {
  const stream = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) stream.set(frame, i * frame.length);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += READ_CHUNK) {
    chunks.push(stream.subarray(at, Math.min(at + READ_CHUNK, stream.length)));
  }
  return chunks;
}

function encodeCase(label: string, init: FrameInit, iterations: number): Measurement[] {
  const frameBytes = encodeFrame(init).length;
  const whole = measure(`encodeFrame      ${label}`, iterations, frameBytes, 1, (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += encodeFrame(init).length;
    return sum;
  });
  const head = measure(`encodeFrameHead  ${label}`, iterations, frameBytes, 1, (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += encodeFrameHead(init).length;
    return sum;
  });
  return [whole, head];
}

function decodeCase(label: string, init: FrameInit, iterations: number): Measurement {
  const frame = encodeFrame(init);
  // One batch is at least 1 MiB of wire bytes, fed chunk by chunk; repeated to reach `iterations`.
  const perBatch = Math.max(1, Math.ceil((1 << 20) / frame.length));
  const chunks = wireChunks(frame, perBatch);
  const batches = Math.max(1, Math.round(iterations / perBatch));
  const decoder = new FrameDecoder();
  return measure(`FrameDecoder     ${label}`, batches, frame.length * perBatch, perBatch, (n) => {
    let sum = 0;
    for (let b = 0; b < n; b++) {
      for (const chunk of chunks) {
        const frames = decoder.push(chunk);
        for (const decoded of frames) sum += decoded.payload.length;
      }
    }
    return sum;
  });
}

function bigFrameCase(): Measurement {
  // The largest frame the default decoder accepts: LENGTH = 16 MiB exactly.
  const init = dataFrame(DEFAULT_MAX_FRAME_BYTES - 38);
  const frame = encodeFrame(init);
  const chunks = wireChunks(frame, 1);
  return measure('FrameDecoder     16 MiB frame', 2, frame.length, 1, (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const decoder = new FrameDecoder();
      for (const chunk of chunks)
        for (const decoded of decoder.push(chunk)) sum += decoded.payload.length;
    }
    return sum;
  });
}

function main(): void {
  process.stdout.write(
    `node ${process.version}, ${process.platform}/${process.arch}; DATA frames, method "ServerStream", ` +
      `decode fed in ${READ_CHUNK / 1024} KiB chunks; best of 3 rounds after a warm-up\n`,
  );
  const encodeRows: Measurement[] = [];
  const decodeRows: Measurement[] = [];
  for (const { label, payload, iterations } of CASES) {
    const init = dataFrame(payload);
    encodeRows.push(...encodeCase(label, init, iterations));
    decodeRows.push(decodeCase(label, init, iterations));
  }
  decodeRows.push(bigFrameCase());
  printTable(
    'Encode (MB/s counts whole frames; encodeFrameHead leaves the payload to writev)',
    encodeRows,
  );
  printTable('Decode', decodeRows);
}

main();
