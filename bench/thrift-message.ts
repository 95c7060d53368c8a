// The ~1 KB message of the Thrift codec bench: mixed scalars, a string, a list and a map.
// Fixed-length fields are declared first, so Kitex order = declaration order and both codecs
// write the same bytes.

/** The bench struct's IDL. */
export const BENCH_IDL = `
struct BenchMessage {
  1: i64 id
  2: i32 count
  3: double score
  4: bool active
  5: i16 kind
  6: byte flags
  7: string text
  8: list<i32> values
  9: map<string, string> meta
}
`;

/** Field values shared by both codecs' representations. */
export const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(7);
export const VALUES = Array.from({ length: 64 }, (_, i) => i * 7919 - 100_000);
export const META: ReadonlyArray<readonly [string, string]> = Array.from({ length: 10 }, (_, i) => [
  `header-key-${i}`,
  `value-${i}-${'v'.repeat(10)}`,
]);

/** The message as our codec takes it. */
export function ourMessage(): Record<string, unknown> {
  return {
    id: 1234567890123n,
    count: 42,
    score: 3.14159,
    active: true,
    kind: 7,
    flags: 3,
    text: TEXT,
    values: [...VALUES],
    meta: new Map(META),
  };
}
