import { type UnaryCall } from '../transport/index.js';
import { type ServerCall } from './server-call.js';

/**
 * A unary or oneway call seen through the {@link ServerCall} interface the Nest layer drives, so
 * that `@MessagePattern` and `@EventPattern` handlers run through the same pipeline as stream
 * handlers: it yields `payload` once, `send` keeps the reply value, and the reply's keys
 * (`setHeader`, `setTrailer`: a unary reply has one header) go to the transport.
 * @internal not covered by semver
 */
export function serverCallFromUnary(
  call: UnaryCall,
  payload: unknown,
  onReply: (value: unknown) => void,
): ServerCall {
  return new UnaryServerCall(call, payload, onReply);
}

/**
 * A class, not an object literal with getters: on Node 20 such a literal took 1-2 µs to build
 * per call. The headers record is built on first use.
 */
class UnaryServerCall implements ServerCall {
  readonly mode = 'unary';
  readonly receivedMessages = 1;
  private sent = 0;
  private headerRecord: Readonly<Record<string, string>> | undefined;

  constructor(
    private readonly call: UnaryCall,
    private readonly payload: unknown,
    private readonly onReply: (value: unknown) => void,
  ) {}

  get streamId(): number {
    return this.call.seqId;
  }
  get service(): string {
    return this.call.service;
  }
  get method(): string {
    return this.call.method;
  }
  get headers(): Readonly<Record<string, string>> {
    this.headerRecord ??= Object.freeze(Object.fromEntries(this.call.headers));
    return this.headerRecord;
  }
  get timeoutMs(): number | undefined {
    return this.call.timeoutMs;
  }
  get remoteAddress(): string | undefined {
    return this.call.remoteAddress;
  }
  get signal(): AbortSignal {
    return this.call.signal;
  }
  get sentMessages(): number {
    return this.sent;
  }
  /** The Thrift messages of the reply (once built) and of the request. */
  get sentBytes(): number | undefined {
    return this.call.replyBytes;
  }
  get receivedBytes(): number | undefined {
    return this.call.requestBytes;
  }

  afterReply(listener: () => void): void {
    this.call.afterReply(listener);
  }

  setHeader(record: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(record)) this.call.setReplyHeader(key, value);
  }

  sendHeader(record: Readonly<Record<string, string>> = {}): Promise<void> {
    this.setHeader(record);
    return Promise.resolve();
  }

  setTrailer(record: Readonly<Record<string, string>>): void {
    this.setHeader(record);
  }

  send(message: unknown): Promise<void> {
    this.sent = 1;
    this.onReply(message);
    return Promise.resolve();
  }

  reset(error: Parameters<ServerCall['reset']>[0]): void {
    // A unary call has no stream to reset: its reply becomes the error.
    throw error;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- yields the one request it has
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    yield this.payload;
  }
}
