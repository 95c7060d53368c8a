/**
 * Thrift wire type ids as the Binary protocol writes them in field headers and container
 * headers.
 */
export const TType = {
  Stop: 0,
  Void: 1,
  Bool: 2,
  Byte: 3,
  Double: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  String: 11,
  Struct: 12,
  Map: 13,
  Set: 14,
  List: 15,
} as const;

/** One of the Thrift wire type ids. */
export type TType = (typeof TType)[keyof typeof TType];

const NAMES: Readonly<Record<number, string>> = {
  0: 'STOP',
  1: 'VOID',
  2: 'BOOL',
  3: 'BYTE',
  4: 'DOUBLE',
  6: 'I16',
  8: 'I32',
  10: 'I64',
  11: 'STRING',
  12: 'STRUCT',
  13: 'MAP',
  14: 'SET',
  15: 'LIST',
};

/** The upper-case Thrift name of a wire type id (`I32`), or `type N` for unknown ids. */
export function ttypeName(type: number): string {
  return NAMES[type] ?? `type ${type}`;
}
