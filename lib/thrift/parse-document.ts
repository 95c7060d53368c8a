import {
  createParser,
  createScanner,
  type ThriftDocument,
  type ThriftError,
} from '@creditkarma/thrift-parser';
import { ThriftIdlError } from './thrift-errors.js';

/**
 * The syntax tree of one IDL file.
 *
 * @throws ThriftIdlError (file and line) for the first syntax error.
 * @internal not covered by semver
 */
export function parseDocument(source: string, fileName: string): ThriftDocument {
  const errors: ThriftError[] = [];
  const scanner = createScanner(source, (error) => {
    errors.push(error);
    scanner.syncronize();
  });
  const tokens = scanner.scan();
  const parser = createParser(tokens, (error) => {
    errors.push(error);
    parser.synchronize();
  });
  const doc = parser.parse();
  const first = errors[0];
  if (first !== undefined) throw new ThriftIdlError(fileName, first.loc.start.line, first.message);
  return doc;
}
