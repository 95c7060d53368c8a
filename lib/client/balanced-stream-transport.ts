import { EventEmitter } from 'node:events';
import { isTTStreamError, TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import {
  currentParentStream,
  type ClientStream,
  type ClientTransportEvents,
  type OpenStreamOptions,
  type StreamCall,
} from '../transport/index.js';
import { cancelError, streamTimeoutError } from '../transport/cancel-errors.js';
import { toError } from '../transport/to-error.js';
import { type BalancedTarget, callHashKey, type InstanceEntry } from './balanced-target.js';
import type { CallStream } from './client-call.js';

/**
 * Streaming calls over the instances of a {@link BalancedTarget}: the client's streaming
 * transport when it is given a `service` and a `resolver`. Each stream first makes sure its
 * instance accepts a connection, and tries another instance (up to `connectAttempts`, within
 * its deadline) when it does not, before any frame of the stream was written.
 * @internal used by `TTStreamClient`; not covered by semver
 */
export class BalancedStreamTransport extends EventEmitter<ClientTransportEvents> {
  constructor(readonly target: BalancedTarget) {
    super();
  }

  /** The service the calls go to (for logs). */
  get service(): string {
    return this.target.service;
  }

  /** Resolves the service and establishes a connection to one instance (with failover). */
  async connect(): Promise<void> {
    await establish(this.target, undefined, undefined);
  }

  /** Opens a stream on the instance picked for it; frames wait until its connection is up. */
  openStream<Req, Res>(call: StreamCall<Req, Res>, options: OpenStreamOptions = {}): CallStream {
    const parent = options.parent === null ? null : (options.parent ?? currentParentStream());
    // Not a spread with more keys: that costs about 1 µs per call on Node 20.
    return new FailoverStream(this.target, call, Object.assign({}, options, { parent }));
  }

  /** Closes every connection to every instance (streams in flight fail with 12006). */
  close(): Promise<void> {
    return this.target.close();
  }
}

/**
 * Dials instances until one accepts a connection: the first picked, then others, at most
 * `connectAttempts`; a failed dial ejects its instance (outlier detection).
 */
async function establish(
  target: BalancedTarget,
  key: string | undefined,
  deadline: number | undefined,
): Promise<InstanceEntry> {
  await target.ready();
  const tried = new Set<string>();
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < target.connectAttempts; attempt++) {
    if (deadline !== undefined && Date.now() >= deadline) break;
    const entry = target.pick(key, tried);
    if (entry === undefined) break;
    tried.add(entry.key);
    try {
      await target.streamOf(entry).connect();
      return entry;
    } catch (error) {
      lastError = toError(error);
      target.outliers.recordFailure(entry.key, true);
    }
  }
  throw lastError ?? noAttemptError(target.service);
}

function noAttemptError(service: string): TTStreamError {
  return new TTStreamError(TTStreamErrorCode.TransportClosing, {
    side: 'client',
    detail: `no instance of service '${service}' could be dialed in time`,
  });
}

/**
 * A stream whose transport stream is opened once an instance accepted a connection. Until
 * then sends, receives and the header wait; a cancel or the deadline ends it without any
 * frame sent.
 */
class FailoverStream implements CallStream {
  private inner: ClientStream<unknown, unknown> | undefined;
  private failure: Error | undefined;
  private ended = false;
  private readonly ready: Promise<ClientStream<unknown, unknown>>;
  private readonly startedAt = Date.now();
  // Rejects the wait for a connection at once on cancel, abort or deadline.
  private interrupt: ((error: Error) => void) | undefined;

  constructor(
    private readonly target: BalancedTarget,
    private readonly call: StreamCall<unknown, unknown>,
    private readonly options: OpenStreamOptions,
  ) {
    this.ready = this.open();
    // Errors are reported through the methods; this copy must not be unhandled.
    this.ready.catch(noop);
  }

  get isEnded(): boolean {
    return this.inner === undefined ? this.ended : this.inner.isEnded;
  }

  get sentBytes(): number | undefined {
    return this.inner?.sentBytes;
  }

  get receivedBytes(): number | undefined {
    return this.inner?.receivedBytes;
  }

  get sentCount(): number | undefined {
    return this.inner?.sentCount;
  }

  get receivedCount(): number | undefined {
    return this.inner?.receivedCount;
  }

  // Once the stream is open, calls go straight to it: no promise of ours per message.
  send(message: unknown): Promise<void> {
    if (this.inner !== undefined) return this.inner.send(message);
    return this.ready.then((stream) => stream.send(message));
  }

  closeSend(): Promise<void> {
    if (this.inner !== undefined) return this.inner.closeSend();
    return this.ready.then((stream) => stream.closeSend());
  }

  recv(): Promise<IteratorResult<unknown, undefined>> {
    if (this.inner !== undefined) return this.inner.recv();
    return this.ready.then((stream) => stream.recv());
  }

  tryRecv(): IteratorResult<unknown, undefined> | undefined {
    return this.inner?.tryRecv();
  }

  recvThen(
    onResult: (result: IteratorResult<unknown, undefined>) => void,
    onError: (error: Error) => void,
  ): void {
    if (this.inner !== undefined) {
      this.inner.recvThen(onResult, onError);
      return;
    }
    this.ready.then((stream) => {
      stream.recvThen(onResult, onError);
    }, onError);
  }

  async header(): Promise<ReadonlyMap<string, string>> {
    return (await this.ready).header();
  }

  async trailer(): Promise<ReadonlyMap<string, string>> {
    return (await this.ready).trailer();
  }

  cancel(reason?: unknown): void {
    if (this.inner !== undefined) {
      this.inner.cancel(reason);
      return;
    }
    this.stop(cancelError(reason, this.options.timeoutMs));
  }

  private stop(error: Error): void {
    if (this.failure !== undefined || this.inner !== undefined) return;
    this.failure = error;
    this.interrupt?.(error);
  }

  private async open(): Promise<ClientStream<unknown, unknown>> {
    const { timeoutMs, signal, headers, metainfo } = this.options;
    const deadline =
      timeoutMs !== undefined && timeoutMs > 0 ? this.startedAt + timeoutMs : undefined;
    const key = callHashKey(this.target.hashKey, headers, metainfo);
    try {
      for (let attempt = 0; ; attempt++) {
        const entry = await this.guard(establish(this.target, key, deadline), deadline, signal);
        if (this.failure !== undefined) throw this.failure;
        const remaining = deadline === undefined ? timeoutMs : Math.max(1, deadline - Date.now());
        try {
          const stream = this.target
            .streamOf(entry)
            .openStream(this.call, Object.assign({}, this.options, { timeoutMs: remaining }));
          this.inner = stream;
          this.watchOutcome(entry.key, stream);
          return stream;
        } catch (error) {
          // The instance's transport was closed (drained) between pick and open: nothing sent.
          if (attempt + 1 >= this.target.connectAttempts) throw error;
        }
      }
    } catch (error) {
      this.ended = true;
      throw this.failure ?? error;
    }
  }

  /** `work`, or the first of: a cancel, `signal` aborting, the deadline passing. */
  private async guard<T>(
    work: Promise<T>,
    deadline: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (signal?.aborted === true) this.stop(cancelError(signal.reason, this.options.timeoutMs));
    if (this.failure !== undefined) throw this.failure;
    work.catch(noop);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      this.stop(cancelError(signal?.reason, this.options.timeoutMs));
    };
    const interrupted = new Promise<never>((_, reject) => {
      this.interrupt = reject;
      if (deadline !== undefined) {
        timer = setTimeout(
          () => {
            this.stop(streamTimeoutError('client', this.options.timeoutMs ?? 0));
          },
          Math.max(0, deadline - Date.now()),
        );
      }
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([work, interrupted]);
    } finally {
      this.interrupt = undefined;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Feeds the outlier detector: transport failures count against the instance. */
  private watchOutcome(key: string, stream: ClientStream<unknown, unknown>): void {
    stream.done.then(
      () => {
        this.target.outliers.recordSuccess(key);
      },
      (error: unknown) => {
        if (isTransportFailure(error)) this.target.outliers.recordFailure(key);
        else this.target.outliers.recordSuccess(key);
      },
    );
  }
}

// Failures that say the instance is unhealthy, not that the call or its handler failed.
const TRANSPORT_FAILURES: ReadonlySet<number> = new Set([
  TTStreamErrorCode.TransportClosing,
  TTStreamErrorCode.CanceledByConnectionClose,
  TTStreamErrorCode.IllegalFrame,
  TTStreamErrorCode.StreamTimeout,
  TTStreamErrorCode.RecvTimeout,
]);

function isTransportFailure(error: unknown): boolean {
  return isTTStreamError(error) && TRANSPORT_FAILURES.has(error.kind);
}

function noop(): void {}
