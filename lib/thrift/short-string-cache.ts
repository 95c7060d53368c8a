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

/**
 * Per slot, the four words the hash is made of (see {@link decodeShortString}); together with
 * the length they pin down the first 8 and the last 8 bytes, so a hit only compares the bytes
 * between (none for strings of up to 16 bytes).
 */
const keyWords = new Int32Array(SLOTS * 4);
const keyBytes = new Uint8Array(SLOTS * SHORT_STRING_MAX);
const keyLengths = new Uint8Array(SLOTS); // 0 = empty slot (empty strings never come here)
const values = new Array<string>(SLOTS).fill('');

/** The little-endian word at `at`. */
function word(buf: Uint8Array, at: number): number {
  return (
    (buf[at] as number) |
    ((buf[at + 1] as number) << 8) |
    ((buf[at + 2] as number) << 16) |
    ((buf[at + 3] as number) << 24)
  );
}

/** True when slot `slot` holds the `n` bytes at `start`, given the four words of them. */
function matches(
  slot: number,
  buf: Uint8Array,
  start: number,
  n: number,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
): boolean {
  const w = slot * 4;
  if (
    keyLengths[slot] !== n ||
    keyWords[w] !== w0 ||
    keyWords[w + 1] !== w1 ||
    keyWords[w + 2] !== w2 ||
    keyWords[w + 3] !== w3
  ) {
    return false;
  }
  // The words covered bytes 0..7 and n-8..n-1; compare what lies between.
  const base = slot * SHORT_STRING_MAX;
  for (let i = 8; i < n - 8; i++) if (keyBytes[base + i] !== buf[start + i]) return false;
  return true;
}

/**
 * Decodes `n` (1..SHORT_STRING_MAX) bytes at `start`; `slow` decodes on a miss.
 *
 * The hash mixes the length with four words: the first two and the last two (overlapping for
 * fewer than 16 bytes; a word that does not fit is 0, and for fewer than 4 bytes the first packs
 * them). So every byte of a string of up to 16 bytes is hashed: ids that differ only in the
 * middle (`req-00000017-end`) get different slots. Longer strings that differ only between
 * their first and last 8 bytes share a slot pair; they stay correct, the byte comparison tells
 * them apart. Two-way set associative: a string may sit in its slot or the neighbour, so two
 * hot strings whose hashes collide do not evict each other.
 */
export function decodeShortString(
  buf: Uint8Array,
  start: number,
  n: number,
  slow: (buf: Uint8Array, start: number, end: number) => string,
): string {
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  if (n >= 4) {
    w0 = word(buf, start);
    if (n >= 8) w1 = word(buf, start + 4);
    if (n > 12) w3 = word(buf, start + n - 8);
    w2 = word(buf, start + n - 4);
  } else {
    for (let i = 0; i < n; i++) w0 |= (buf[start + i] as number) << (8 * i);
  }
  let h = Math.imul(n ^ w0, 0x9e3779b1);
  h = Math.imul(h ^ w1, 0x85ebca6b);
  h = Math.imul(h ^ w2, 0xc2b2ae35);
  h = Math.imul(h ^ w3, 0x27d4eb2f);
  const slot = ((h ^ (h >>> 15)) >>> (32 - SLOT_BITS)) & ~1;
  if (matches(slot, buf, start, n, w0, w1, w2, w3)) return values[slot] as string;
  if (matches(slot + 1, buf, start, n, w0, w1, w2, w3)) return values[slot + 1] as string;
  const value = slow(buf, start, start + n);
  // The newest entry goes first; the one it displaces moves to the second way.
  const base = slot * SHORT_STRING_MAX;
  const w = slot * 4;
  // Plain loops: copyWithin's call overhead is larger than copying a couple dozen bytes.
  const oldLength = keyLengths[slot] as number;
  for (let i = 0; i < oldLength; i++) {
    keyBytes[base + SHORT_STRING_MAX + i] = keyBytes[base + i] as number;
  }
  for (let i = 0; i < 4; i++) keyWords[w + 4 + i] = keyWords[w + i] as number;
  keyLengths[slot + 1] = oldLength;
  values[slot + 1] = values[slot] as string;
  for (let i = 0; i < n; i++) keyBytes[base + i] = buf[start + i] as number;
  keyWords[w] = w0;
  keyWords[w + 1] = w1;
  keyWords[w + 2] = w2;
  keyWords[w + 3] = w3;
  keyLengths[slot] = n;
  values[slot] = value;
  return value;
}
