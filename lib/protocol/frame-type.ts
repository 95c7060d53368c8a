/**
 * TTHeader Streaming frame types: the ASCII digit carried in int key 27 (FrameType).
 * Kitex: `pkg/remote/trans/ttstream/frame.go`.
 */
export const FrameType = {
  Meta: 1,
  Header: 2,
  Data: 3,
  Trailer: 4,
  Rst: 5,
} as const;

/** A known frame type. Decoded frames may carry other values, which the transport skips. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const NAMES: Readonly<Record<number, string>> = {
  1: 'META',
  2: 'HEADER',
  3: 'DATA',
  4: 'TRAILER',
  5: 'RST',
};

/** `HEADER`, `DATA`, ... for a known type, `UNKNOWN(n)` otherwise; for logs and errors. */
export function frameTypeName(type: number): string {
  return NAMES[type] ?? `UNKNOWN(${type})`;
}

/** True for the five frame types Kitex defines. */
export function isKnownFrameType(type: number): type is FrameType {
  return Number.isInteger(type) && type >= FrameType.Meta && type <= FrameType.Rst;
}
