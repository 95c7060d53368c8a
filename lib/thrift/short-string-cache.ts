/**
 * Decodes short UTF-8 strings through a small direct-mapped cache. RPC messages repeat short
 * strings (map keys, names, enum-like values) from message to message, and comparing a dozen
 * bytes is several times cheaper than building a string. A miss costs one hash and one copy
 * into a preallocated table; nothing is allocated besides the string itself.
 *
 * @internal not covered by semver
 */

/** The longest string (in bytes) that goes through the cache. */
export const SHORT_STRING_MAX = 24;
const SLOT_BITS = 12;
const SLOTS = 1 << SLOT_BITS;

const keyBytes = new Uint8Array(SLOTS * SHORT_STRING_MAX);
const keyLengths = new Uint8Array(SLOTS); // 0 = empty slot (empty strings never come here)
const values = new Array<string>(SLOTS).fill('');

/**
 * A hash of the length and up to three 4-byte words: the first, the second and the last (so
 * strings that differ only inside a longer middle share a slot pair; they stay correct, the
 * byte comparison tells them apart).
 */
function hashOf(buf: Uint8Array, start: number, n: number): number {
  let h = Math.imul(n, 0x9e3779b1);
  if (n < 4) {
    for (let i = start; i < start + n; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    return h ^ (h >>> 15);
  }
  h = Math.imul(h ^ word(buf, start), 0x85ebca6b);
  if (n >= 8) h = Math.imul(h ^ word(buf, start + 4), 0xc2b2ae35);
  h = Math.imul(h ^ word(buf, start + n - 4), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

function word(buf: Uint8Array, at: number): number {
  return (
    (buf[at] as number) |
    ((buf[at + 1] as number) << 8) |
    ((buf[at + 2] as number) << 16) |
    ((buf[at + 3] as number) << 24)
  );
}

function matches(slot: number, buf: Uint8Array, start: number, n: number): boolean {
  if (keyLengths[slot] !== n) return false;
  const base = slot * SHORT_STRING_MAX;
  for (let i = 0; i < n; i++) if (keyBytes[base + i] !== buf[start + i]) return false;
  return true;
}

/**
 * Decodes `n` (1..SHORT_STRING_MAX) bytes at `start`; `slow` decodes on a miss. Two-way set
 * associative: a string may sit in its slot or the neighbour, so two hot strings whose hashes
 * collide do not evict each other.
 */
export function decodeShortString(
  buf: Uint8Array,
  start: number,
  n: number,
  slow: (buf: Uint8Array, start: number, end: number) => string,
): string {
  const slot = (hashOf(buf, start, n) >>> (32 - SLOT_BITS)) & ~1;
  if (matches(slot, buf, start, n)) return values[slot] as string;
  if (matches(slot + 1, buf, start, n)) return values[slot + 1] as string;
  const value = slow(buf, start, start + n);
  // The newest entry goes first; the one it displaces moves to the second way.
  const base = slot * SHORT_STRING_MAX;
  keyBytes.copyWithin(base + SHORT_STRING_MAX, base, base + (keyLengths[slot] as number));
  keyLengths[slot + 1] = keyLengths[slot] as number;
  values[slot + 1] = values[slot] as string;
  for (let i = 0; i < n; i++) keyBytes[base + i] = buf[start + i] as number;
  keyLengths[slot] = n;
  values[slot] = value;
  return value;
}
