/** Options of {@link ReadDeadline}, both in ms; 0 disables one. */
export interface ReadDeadlineOptions {
  /** How long a frame may take to arrive once its first byte has. */
  readonly frameTimeoutMs: number;
  /** How long a new connection may take to complete its first frame. */
  readonly firstFrameTimeoutMs: number;
}

/**
 * Read timeouts of one connection, against peers that hold resources by sending slowly: a frame
 * that takes longer than `frameTimeoutMs` to arrive, or a new connection that completes no frame
 * within `firstFrameTimeoutMs`, calls `expire` with the reason. One timer at most, armed when a
 * frame starts and re-armed only when it fires, so the cost per received chunk is a clock read.
 * Time spent paused by our own backpressure does not count.
 * @internal not covered by semver
 */
export class ReadDeadline {
  private timer: NodeJS.Timeout | undefined;
  /** When the frame now arriving started (ms, `performance.now()`); undefined between frames. */
  private frameSince: number | undefined;
  private awaitingFirst: boolean;

  constructor(
    private readonly options: ReadDeadlineOptions,
    private readonly expire: (reason: string) => void,
  ) {
    this.awaitingFirst = options.firstFrameTimeoutMs > 0;
    if (this.awaitingFirst) this.arm(options.firstFrameTimeoutMs);
  }

  /**
   * After each received chunk: `midFrame` when a frame is still incomplete, `framed` when the
   * chunk completed at least one frame.
   */
  onData(midFrame: boolean, framed: boolean): void {
    if (framed && this.awaitingFirst) {
      this.awaitingFirst = false;
      this.clear();
    }
    if (!midFrame) {
      this.frameSince = undefined;
      return;
    }
    if (this.frameSince !== undefined && !framed) return;
    if (this.options.frameTimeoutMs <= 0) return;
    this.frameSince = performance.now();
    if (this.timer === undefined) this.arm(this.options.frameTimeoutMs);
  }

  /** Reading paused (our backpressure): the frame in progress stops counting. */
  pause(): void {
    this.frameSince = undefined;
    if (!this.awaitingFirst) this.clear();
  }

  /** Stops every timer (the connection closed). */
  stop(): void {
    this.clear();
    this.frameSince = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onTimer();
    }, delayMs);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    if (this.awaitingFirst) {
      this.expire(`no frame within ${this.options.firstFrameTimeoutMs} ms of connecting`);
      return;
    }
    if (this.frameSince === undefined) return;
    const left = this.frameSince + this.options.frameTimeoutMs - performance.now();
    if (left > 0) {
      this.arm(left);
      return;
    }
    this.expire(`a frame took over ${this.options.frameTimeoutMs} ms to arrive`);
  }
}
