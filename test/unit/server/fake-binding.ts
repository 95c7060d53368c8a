import { type BoundMethod, type ServerBinding } from '../../../lib/server/server-binding.js';
import { type ServerCall } from '../../../lib/server/server-call.js';
import { type StreamMode } from '../../../lib/nest-constants.js';

/** A request queue the fake call reads from. */
class Inbox<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((r: IteratorResult<T>) => void)[] = [];
  private ended = false;
  reads = 0;

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter({ value: item, done: false });
    else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        this.reads++;
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}

/** One in-memory stream: what the handler sent and how it ended. */
export class FakeCall implements ServerCall {
  readonly inbox = new Inbox<unknown>();
  readonly sent: unknown[] = [];
  readonly header: Record<string, string> = {};
  readonly trailer: Record<string, string> = {};
  headerSent = false;
  readonly controller = new AbortController();
  outcome: { ok: true } | { ok: false; error: unknown } | undefined;
  readonly done: Promise<void>;
  private settle!: () => void;
  /** When set, each send waits for this (backpressure tests). */
  sendGate: (() => Promise<void>) | undefined;

  constructor(
    readonly streamId: number,
    readonly service: string,
    readonly method: string,
    readonly mode: StreamMode,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  get timeoutMs(): number | undefined {
    return undefined;
  }
  get remoteAddress(): string {
    return '127.0.0.1:1';
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  get sentMessages(): number {
    return this.sent.length;
  }
  /** Requests the test pushed (the fake counts no bytes). */
  receivedMessages = 0;
  readonly sentBytes = undefined;
  readonly receivedBytes = undefined;
  setHeader(headers: Readonly<Record<string, string>>): void {
    if (this.headerSent) throw new Error('header already sent');
    Object.assign(this.header, headers);
  }
  async sendHeader(headers: Readonly<Record<string, string>> = {}): Promise<void> {
    this.setHeader(headers);
    this.headerSent = true;
  }
  setTrailer(trailers: Readonly<Record<string, string>>): void {
    Object.assign(this.trailer, trailers);
  }
  async send(message: unknown): Promise<void> {
    if (this.signal.aborted) throw this.signal.reason;
    if (this.sendGate !== undefined) await this.sendGate();
    this.headerSent = true;
    this.sent.push(message);
  }
  reset(error: unknown): void {
    this.controller.abort(error);
  }
  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return this.inbox[Symbol.asyncIterator]();
  }
  finish(outcome: FakeCall['outcome']): void {
    this.outcome = outcome;
    this.settle();
  }
  /** The failure the stream ended with (throws when it succeeded). */
  async failure(): Promise<unknown> {
    await this.done;
    if (this.outcome?.ok !== false) throw new Error('the stream succeeded');
    return this.outcome.error;
  }
}

/** An in-memory {@link ServerBinding}: tests open calls directly. */
export class FakeBinding implements ServerBinding {
  readonly methods = new Map<string, BoundMethod>();
  listening = false;
  closed = false;
  private nextId = 1;
  private readonly live = new Set<Promise<void>>();

  register(method: BoundMethod): void {
    this.methods.set(`${method.service}.${method.method}`, method);
  }
  async listen(): Promise<void> {
    this.listening = true;
  }
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.live);
  }
  address(): { address: string; port: number } {
    return { address: '127.0.0.1', port: 1 };
  }
  unwrap(): unknown {
    return this;
  }
  on(): void {}

  /** Opens a stream to `pattern`, sending `requests` (and a half-close when `end`). */
  open(pattern: string, requests: unknown[] = [], end = true, headers = {}): FakeCall {
    const method = this.methods.get(pattern);
    if (method === undefined) throw new Error(`no such method ${pattern}`);
    const call = new FakeCall(this.nextId++, method.service, method.method, method.mode, headers);
    for (const r of requests) {
      call.inbox.push(r);
      call.receivedMessages++;
    }
    if (end) call.inbox.end();
    const run = method.handler(call).then(
      () => {
        call.finish({ ok: true });
      },
      (error: unknown) => {
        call.finish({ ok: false, error });
      },
    );
    this.live.add(run);
    void run.finally(() => this.live.delete(run));
    return call;
  }
}

/** A minimal IDL with the echo service's four methods. */
export function echoIdl() {
  const methods = new Map(
    (
      [
        ['Echo', 'bidirectional'],
        ['EchoClient', 'client'],
        ['EchoServer', 'server'],
        ['ServerStreamWithErr', 'server'],
      ] as const
    ).map(([name, mode]) => [name, { name, mode, requestCodec: null, responseCodec: null }]),
  );
  return { services: new Map([['TestService', { name: 'TestService', methods }]]) };
}
