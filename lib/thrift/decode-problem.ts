/**
 * What the decoder throws internally: a problem plus the field path collected while it unwinds
 * (`['.items', '[3]', '.name']`). The codec turns it into a `ThriftDecodeError` at the top, so
 * the path costs nothing on the success path.
 *
 * @internal not covered by semver
 */
export class DecodeProblem extends Error {
  /** Path segments, outermost first, each with its leading `.` or `[`. */
  readonly path: string[] = [];

  constructor(readonly problem: string) {
    super(problem);
    this.name = 'DecodeProblem';
  }

  /** Adds an outer segment and returns this, for `throw problem.within('.field')`. */
  within(segment: string): this {
    this.path.unshift(segment);
    return this;
  }
}
