import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type IncludeSource, parseThriftIdl } from '../thrift/parse-thrift-idl.js';
import { type ThriftIdl } from '../thrift/thrift-idl.js';
import { ThriftIdlError } from '../thrift/thrift-errors.js';

/** Options for {@link loadThriftIdl} and {@link loadThriftIdlFromSource}. */
export interface LoadThriftIdlOptions {
  /**
   * Directories searched for `include`d files after the including file's own directory, in
   * order. Default: none.
   */
  readonly includeDirs?: readonly string[];
  /** How i64 values are mapped where no `js.type` annotation says: default `bigint`. */
  readonly i64?: 'bigint' | 'number';
}

/** Options for {@link loadThriftIdlFromSource}. */
export interface LoadThriftIdlFromSourceOptions extends LoadThriftIdlOptions {
  /**
   * The name errors give the source; includes are looked up next to it. Default `<source>`
   * in the current directory.
   */
  readonly fileName?: string;
}

function includeResolver(
  includeDirs: readonly string[],
): (path: string, fromFile: string) => IncludeSource | undefined {
  return (path, fromFile) => {
    const candidates = isAbsolute(path)
      ? [path]
      : [dirname(resolve(fromFile)), ...includeDirs].map((dir) => resolve(dir, path));
    for (const candidate of candidates) {
      if (existsSync(candidate)) {
        return { fileName: candidate, source: readFileSync(candidate, 'utf8') };
      }
    }
    return undefined;
  };
}

/**
 * Reads a Thrift IDL file and everything it includes and returns its descriptors: services
 * with each method's streaming mode and codecs, structs, enums, typedefs, consts. Includes are
 * looked up next to the including file, then in `includeDirs`.
 *
 * @throws ThriftIdlError with file and line on any problem, line 0 when the file is missing.
 */
export function loadThriftIdl(file: string, options: LoadThriftIdlOptions = {}): ThriftIdl {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ThriftIdlError(file, 0, `cannot read the IDL file (${(error as Error).message})`, {
      cause: error,
    });
  }
  return loadThriftIdlFromSource(source, { ...options, fileName: resolve(file) });
}

/**
 * Like {@link loadThriftIdl} for IDL text already in memory; `include`s are read from disk.
 *
 * @throws ThriftIdlError with file and line.
 */
export function loadThriftIdlFromSource(
  source: string,
  options: LoadThriftIdlFromSourceOptions = {},
): ThriftIdl {
  return parseThriftIdl(source, {
    fileName: options.fileName ?? '<source>',
    resolveInclude: includeResolver(options.includeDirs ?? []),
    ...(options.i64 === undefined ? {} : { i64: options.i64 }),
  });
}
