import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';

/**
 * Malformed Thrift Binary bytes: truncated input, a bad length, a wrong wire type for a known
 * field, a missing required field, nesting too deep. Its kind is 12004 (illegal frame), the
 * code Kitex raises when it cannot decode a payload; `detail` says what was wrong and, where
 * relevant, the struct and field path (`Request.items[3].name: ...`).
 */
export class ThriftDecodeError extends TTStreamError {
  constructor(detail: string, options: { readonly cause?: unknown } = {}) {
    super(TTStreamErrorCode.IllegalFrame, { detail, cause: options.cause });
  }
}

/**
 * A value that cannot be encoded with its schema: a required field missing, a value of the
 * wrong JavaScript type, an integer out of range, a union with other than one field set.
 * A plain error (a programming mistake on this side, not a protocol failure).
 */
export class ThriftEncodeError extends Error {
  /** The struct being encoded, for instance `Request`. */
  readonly struct: string;
  /** The field path inside it, for instance `items[2].name`; empty for the struct itself. */
  readonly field: string;

  constructor(struct: string, field: string, problem: string) {
    super(`cannot encode ${field === '' ? struct : `${struct}.${field}`}: ${problem}`);
    this.name = 'ThriftEncodeError';
    this.struct = struct;
    this.field = field;
  }
}

/**
 * An IDL that cannot be loaded: a syntax error, an unknown type, a bad `streaming.mode`, a
 * streaming method without exactly one argument, a cyclic or missing include. The message
 * starts with `file:line: `.
 */
export class ThriftIdlError extends Error {
  /** The IDL file (as given or resolved) the problem is in. */
  readonly file: string;
  /** The 1-based line of the problem, or 0 when no line applies (a missing file). */
  readonly line: number;
  /** The problem without the location prefix. */
  readonly problem: string;

  constructor(
    file: string,
    line: number,
    problem: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'ThriftIdlError';
    this.file = file;
    this.line = line;
    this.problem = problem;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', {
        value: options.cause,
        writable: true,
        configurable: true,
      });
    }
  }
}
