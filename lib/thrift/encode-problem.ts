/**
 * What the encoder throws internally: a problem plus the field path collected while it unwinds.
 * The codec turns it into a `ThriftEncodeError` naming the top-level struct.
 *
 * @internal not covered by semver
 */
export class EncodeProblem extends Error {
  /** Path segments, outermost first, each with its leading `.` or `[`. */
  readonly path: string[] = [];

  constructor(readonly problem: string) {
    super(problem);
    this.name = 'EncodeProblem';
  }

  /** Adds an outer segment and returns this. */
  within(segment: string): this {
    this.path.unshift(segment);
    return this;
  }

  /** The path without its leading dot: `items[2].name`. */
  get fieldPath(): string {
    const text = this.path.join('');
    return text.startsWith('.') ? text.slice(1) : text;
  }
}
