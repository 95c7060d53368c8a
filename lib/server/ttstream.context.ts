import { BaseRpcContext } from '@nestjs/microservices';
import { type StreamMode } from '../nest-constants.js';
import { metainfoFromHeaders, type TTStreamMetainfo } from './metainfo.js';
import { type ServerCall } from './server-call.js';

/**
 * The context of one TTHeader Streaming call, given to handlers with `@Ctx()` and to guards and
 * interceptors with `context.switchToRpc().getContext<TTStreamContext>()`.
 */
export class TTStreamContext extends BaseRpcContext<[ServerCall]> {
  private metainfo: TTStreamMetainfo | undefined;
  private finishCallbacks: (() => void)[] | undefined;

  /** @internal built by `TTStreamServer` for each stream. */
  constructor(call: ServerCall) {
    super([call]);
  }

  private get call(): ServerCall {
    return this.args[0];
  }

  /** The stream id. */
  getStreamId(): number {
    return this.call.streamId;
  }

  /** The IDL service name, e.g. `TestService`. */
  getService(): string {
    return this.call.service;
  }

  /** The IDL method name, e.g. `Echo`. */
  getMethod(): string {
    return this.call.method;
  }

  /** `Service.Method`, the handler's pattern. */
  getPattern(): string {
    return `${this.call.service}.${this.call.method}`;
  }

  /** The method's stream mode, from the IDL. */
  getMode(): StreamMode {
    return this.call.mode;
  }

  /** Every string key of the client's HEADER frame, metainfo keys included. */
  getHeaders(): Readonly<Record<string, string>> {
    return this.call.headers;
  }

  /** One HEADER string key, or undefined. */
  getHeader(name: string): string | undefined {
    return Object.hasOwn(this.call.headers, name) ? this.call.headers[name] : undefined;
  }

  /** The Kitex metainfo the client sent (`RPC_TRANSIT_*`, `RPC_PERSIST_*`), prefixes removed. */
  getMetainfo(): TTStreamMetainfo {
    this.metainfo ??= metainfoFromHeaders(this.call.headers);
    return this.metainfo;
  }

  /**
   * The whole-call timeout the client sent, in ms (undefined when none). The server ends the
   * stream with 12015 when it passes, aborting {@link signal}.
   */
  getTimeoutMs(): number | undefined {
    return this.call.timeoutMs;
  }

  /** The peer's `host:port`, when known (not yet provided by the transport). */
  getRemoteAddress(): string | undefined {
    return this.call.remoteAddress;
  }

  /**
   * Adds a key (or several) to the response HEADER frame, sent with the first message, the
   * trailer, or {@link sendHeader}. Throws once the header was sent.
   */
  setHeader(name: string, value: string): void;
  setHeader(headers: Readonly<Record<string, string>>): void;
  setHeader(nameOrHeaders: string | Readonly<Record<string, string>>, value?: string): void {
    this.call.setHeader(toRecord(nameOrHeaders, value));
  }

  /** Sends the response HEADER frame now, with `headers` added. */
  sendHeader(headers: Readonly<Record<string, string>> = {}): Promise<void> {
    return this.call.sendHeader(headers);
  }

  /** Adds a key (or several) to the final TRAILER frame, whether the stream succeeds or fails. */
  setTrailer(name: string, value: string): void;
  setTrailer(trailers: Readonly<Record<string, string>>): void;
  setTrailer(nameOrTrailers: string | Readonly<Record<string, string>>, value?: string): void {
    this.call.setTrailer(toRecord(nameOrTrailers, value));
  }

  /** The messages (DATA frames) sent on this stream so far; one the writer refused (over
   * `maxFrameBytes`) does not count. */
  getSentMessages(): number {
    return this.call.sentMessages;
  }

  /**
   * Calls `callback` once the handler's result has been written (or has failed), just before the
   * TRAILER is built: the place for trailers that depend on what was sent, such as a count of
   * {@link getSentMessages}. A callback that throws is ignored.
   */
  onFinish(callback: () => void): void {
    (this.finishCallbacks ??= []).push(callback);
  }

  /** @internal Runs the {@link onFinish} callbacks (the server does, once). */
  runFinishCallbacks(): void {
    const callbacks = this.finishCallbacks;
    this.finishCallbacks = undefined;
    if (callbacks === undefined) return;
    for (const callback of callbacks) {
      try {
        callback();
      } catch {
        // A trailer callback must not change the stream's outcome.
      }
    }
  }

  /**
   * Aborted when the stream ends before the handler does: client cancel (its reason is the
   * `TTStreamError` 12010 with the cancel path), connection loss (12013) or server shutdown.
   * Pass it to `fetch` and database drivers.
   */
  get signal(): AbortSignal {
    return this.call.signal;
  }
}

function toRecord(
  nameOrRecord: string | Readonly<Record<string, string>>,
  value: string | undefined,
): Readonly<Record<string, string>> {
  if (typeof nameOrRecord !== 'string') return nameOrRecord;
  return { [nameOrRecord]: value ?? '' };
}
