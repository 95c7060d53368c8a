/**
 * Copies of small encoded messages, carved out of shared 64 KiB slabs instead of one new
 * ArrayBuffer each: a new ArrayBuffer per message (about 1 µs, plus its share of garbage
 * collection) was a tenth of a streaming client's CPU. A slab is never written again once
 * carved, so a copy stays valid; it keeps its slab alive while it lives (at most 64 KiB for a
 * copy someone keeps, which is why only copies up to 4 KiB come from a slab).
 * @internal not covered by semver
 */
const SLAB_BYTES = 64 * 1024;
/** Larger copies get their own buffer. */
const SLAB_MAX_COPY = 4 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A copy of `bytes[0, length)` that later writes to `bytes` do not change. @internal */
export function copyOut(bytes: Uint8Array, length: number): Uint8Array {
  if (length > SLAB_MAX_COPY) return bytes.slice(0, length);
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const copy = slab.subarray(used, used + length);
  copy.set(bytes.subarray(0, length));
  // Copies start 8-byte aligned, as a fresh buffer would.
  used += (length + 7) & ~7;
  return copy;
}
