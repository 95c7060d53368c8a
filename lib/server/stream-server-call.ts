import { type TTStreamError } from '../errors/index.js';
import { type StreamMode } from '../nest-constants.js';
import { type ServerStream } from '../transport/index.js';
import { type ServerCall } from './server-call.js';

/**
 * The Nest layer's view of a transport stream. A class, not an object literal: on Node 20 a
 * literal with getters (and a computed `Symbol.asyncIterator` key) took 1-2 µs to build per
 * stream, a class instance a few dozen ns. The headers record is built on first use.
 * @internal not covered by semver
 */
export class StreamServerCall implements ServerCall {
  private headerRecord: Readonly<Record<string, string>> | undefined;

  constructor(
    private readonly stream: ServerStream<unknown, unknown>,
    readonly mode: StreamMode,
  ) {}

  get streamId(): number {
    return this.stream.streamId;
  }
  get service(): string {
    return this.stream.service;
  }
  get method(): string {
    return this.stream.method;
  }
  get headers(): Readonly<Record<string, string>> {
    this.headerRecord ??= Object.freeze(Object.fromEntries(this.stream.headers));
    return this.headerRecord;
  }
  get timeoutMs(): number | undefined {
    return this.stream.remoteTimeoutMs;
  }
  get remoteAddress(): string | undefined {
    return this.stream.remoteAddress;
  }
  get signal(): AbortSignal {
    return this.stream.signal;
  }
  get sentMessages(): number {
    return this.stream.sentCount;
  }
  get receivedMessages(): number {
    return this.stream.receivedCount;
  }
  get sentBytes(): number {
    return this.stream.sentBytes;
  }
  get receivedBytes(): number {
    return this.stream.receivedBytes;
  }

  setHeader(record: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(record)) this.stream.setHeader(key, value);
  }

  sendHeader(record: Readonly<Record<string, string>> = {}): Promise<void> {
    try {
      this.setHeader(record);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown as is
      return Promise.reject(error);
    }
    return this.stream.sendHeader();
  }

  setTrailer(record: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(record)) this.stream.setTrailer(key, value);
  }

  send(message: unknown): Promise<void> {
    return this.stream.send(message);
  }

  sendThen(message: unknown, onWritten: (error?: Error) => void): boolean {
    return this.stream.sendThen(message, onWritten);
  }

  reset(error: TTStreamError): void {
    this.stream.cancel(error);
  }

  tryRecv(): IteratorResult<unknown, undefined> | undefined {
    return this.stream.tryRecv();
  }

  recvThen(
    onResult: (result: IteratorResult<unknown, undefined>) => void,
    onError: (error: Error) => void,
  ): void {
    this.stream.recvThen(onResult, onError);
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return this.stream[Symbol.asyncIterator]();
  }
}
