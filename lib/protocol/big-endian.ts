/**
 * Big-endian reads of bytes the caller has checked are present.
 * @internal not covered by semver
 */

/** The u16 at `at`. */
export function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

/** The u32 at `at` (use `| 0` for the int32). */
export function u32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** Lower-case hex of `count` bytes at `at` (those present), for error messages. */
export function hexBytes(bytes: Uint8Array, at: number, count: number): string {
  let text = '';
  for (let i = at; i < Math.min(at + count, bytes.length); i++) {
    text += (bytes[i] as number).toString(16).padStart(2, '0');
  }
  return text;
}
