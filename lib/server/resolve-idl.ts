import { loadThriftIdl } from '../idl/index.js';
import { type TTStreamIdlLike } from './idl-descriptor.js';

/** An IDL given as a loaded object, or as the path of a `.thrift` file to load. */
export type TTStreamIdlSource = TTStreamIdlLike | string;

/** The loaded IDL of `source` (a path is read with `loadThriftIdl`). @internal */
export function resolveIdl(
  source: TTStreamIdlSource,
  includeDirs: readonly string[] | undefined,
): TTStreamIdlLike {
  if (typeof source !== 'string') return source;
  return loadThriftIdl(source, includeDirs === undefined ? {} : { includeDirs });
}
