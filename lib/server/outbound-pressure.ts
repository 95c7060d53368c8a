/**
 * Couples a stream's two directions: while more than `resumeBelow` responses wait to be written,
 * the request Observable stops reading, so a handler that answers each request (bidirectional
 * echo) cannot run ahead of the connection; requests then wait in the transport's bounded
 * receive buffer.
 * @internal not covered by semver
 */
export class OutboundPressure {
  private pending = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];

  constructor(private readonly resumeBelow: number) {}

  /** Messages queued and not yet written. */
  get queued(): number {
    return this.pending;
  }

  /** One more message queued. */
  add(): void {
    this.pending++;
  }

  /** One queued message written (or dropped). */
  remove(): void {
    this.pending = Math.max(0, this.pending - 1);
    if (this.pending < this.resumeBelow) this.releaseReaders();
    if (this.pending === 0) this.releaseDrained();
  }

  /** Undefined when reading may go on; otherwise resolves once it may. */
  ready(): Promise<void> | undefined {
    if (this.pending < this.resumeBelow) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * {@link ready} without a promise: false when reading may go on; otherwise true, and `resume`
   * is called once it may (or the stream ended). A request stream read on callbacks waits here.
   */
  whenReady(resume: () => void): boolean {
    if (this.pending < this.resumeBelow) return false;
    this.waiters.push(resume);
    return true;
  }

  /**
   * Undefined when nothing waits to be written; otherwise resolves once everything queued was
   * written. An AsyncIterable result is pulled on this, one message per completed write.
   */
  drained(): Promise<void> | undefined {
    if (this.pending === 0) return undefined;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * {@link drained} without a promise: false when nothing waits to be written; otherwise true,
   * and `resume` is called once everything queued was written (or the stream ended). A
   * generator result is pulled on this.
   */
  whenDrained(resume: () => void): boolean {
    if (this.pending === 0) return false;
    this.drainWaiters.push(resume);
    return true;
  }

  /** Lets every waiter go (the stream ended). */
  release(): void {
    this.releaseReaders();
    this.releaseDrained();
  }

  private releaseReaders(): void {
    if (this.waiters.length > 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  private releaseDrained(): void {
    if (this.drainWaiters.length > 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
