/**
 * Allocation for encoded frames. Each `new Uint8Array(n)` above V8's on-heap limit (64 bytes)
 * creates its own ArrayBuffer, which costs more than encoding a 1 KB frame; so, like Node's
 * `Buffer.allocUnsafe` pool, mid-sized results are carved from a shared 32 KiB slab. Slab
 * memory is fresh (zeroed) and never handed out twice.
 * @internal not covered by semver
 */

const SLAB_BYTES = 32 * 1024;
// Up to this size a typed array lives in the V8 heap: already cheap, and pins no slab.
const ON_HEAP_BYTES = 64;
// Larger requests get their own buffer, so one slab always serves at least 8 of them.
const MAX_POOLED_BYTES = 4 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/**
 * `size` zeroed bytes. Between 65 and 4096 bytes the result is a view into a shared slab:
 * read it through `byteOffset`/`byteLength`, never through `.buffer` alone.
 */
export function allocateBytes(size: number): Uint8Array {
  if (size <= ON_HEAP_BYTES || size > MAX_POOLED_BYTES) return new Uint8Array(size);
  if (used + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const bytes = new Uint8Array(slab, used, size);
  used = (used + size + 7) & ~7; // keep views 8-byte aligned
  return bytes;
}
