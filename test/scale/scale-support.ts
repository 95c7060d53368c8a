// Shared pieces of the scale and leak tests (issue 4, test matrix §4.4).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MessageCodec } from '../../lib/thrift/message-codec.js';

/** The message of the scale tests: which stream sent it and its place in that stream. */
export interface Tagged {
  readonly streamIndex: number;
  readonly seq: number;
}

/** 8 bytes: streamIndex (u32 BE), seq (u32 BE); any other length is refused. */
export const taggedCodec: MessageCodec<Tagged> = {
  encode(value) {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, value.streamIndex);
    view.setUint32(4, value.seq);
    return out;
  },
  decode(bytes) {
    if (bytes.byteLength !== 8) throw new Error(`tagged message of ${bytes.byteLength} bytes`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { streamIndex: view.getUint32(0), seq: view.getUint32(4) };
  },
};

/**
 * A full GC. Uses `globalThis.gc` when the process runs with --expose-gc; otherwise turns the
 * flag on and takes `gc` from a fresh context (V8 installs it in contexts created afterwards).
 */
export function getGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') throw new Error('could not obtain gc()');
  return gc as () => void;
}

/** Several GC passes with turns of the event loop between them (finalizers, weak callbacks). */
export async function settleHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc();
  return process.memoryUsage().heapUsed;
}

/** Counts of `process.getActiveResourcesInfo()` by kind (Timeout, TCPSocketWrap, Immediate, ...). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Timers and handles only: what may not grow across rounds. */
export function leakableResources(): Record<string, number> {
  const all = activeResources();
  const out: Record<string, number> = {};
  for (const [kind, count] of Object.entries(all)) {
    // Jest's own FS/promise requests come and go; timers, immediates and sockets must not stay.
    if (/Timeout|Immediate|TCP|Pipe|Server|Timer/i.test(kind)) out[kind] = count;
  }
  return out;
}

/** Collects process warnings (MaxListenersExceededWarning and friends) until `stop()`. */
export function watchWarnings(): { readonly warnings: Error[]; stop(): void } {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  return {
    warnings,
    stop() {
      process.removeListener('warning', onWarning);
    },
  };
}

/** Polls `condition` every `intervalMs` until true; rejects with `describe()` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  describe: () => string,
  timeoutMs = 20_000,
  intervalMs = 5,
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `tasks` with at most `limit` of them in flight at once. */
export async function runLimited<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
