import type { PingPongShape } from '../protocol/pingpong-shape.js';
import { debug } from './debug.js';
import { describeValue } from './to-error.js';
import type { UnaryCall } from './unary-route.js';

/** What a {@link ServedUnaryCall} is built from: the request's side of {@link UnaryCall}. */
export type UnaryCallInit = Omit<UnaryCall, 'replyBytes' | 'afterReply' | 'setReplyHeader'>;

/**
 * One unary call as the server runs it: the request, the reply's header keys, and who waits for
 * the reply to be built. A class, not an object literal with a getter: on Node 20 such a literal
 * took 1-2 µs to build per call and was slow to read afterwards.
 * @internal not covered by semver
 */
export class ServedUnaryCall implements UnaryCall {
  readonly seqId: number;
  readonly service: string;
  readonly method: string;
  readonly oneway: boolean;
  readonly args: Record<string, unknown>;
  readonly headers: ReadonlyMap<string, string>;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal;
  readonly remoteAddress: string | undefined;
  readonly shape: PingPongShape;
  readonly requestBytes: number;
  /** The keys `setReplyHeader` added. */
  readonly replyHeaders = new Map<string, string>();
  private bytes: number | undefined;
  private listeners: (() => void)[] | undefined;

  constructor(init: UnaryCallInit) {
    this.seqId = init.seqId;
    this.service = init.service;
    this.method = init.method;
    this.oneway = init.oneway;
    this.args = init.args;
    this.headers = init.headers;
    this.timeoutMs = init.timeoutMs;
    this.signal = init.signal;
    this.remoteAddress = init.remoteAddress;
    this.shape = init.shape;
    this.requestBytes = init.requestBytes;
  }

  get replyBytes(): number | undefined {
    return this.bytes;
  }

  afterReply(listener: () => void): void {
    if (this.bytes !== undefined) listener();
    else (this.listeners ??= []).push(listener);
  }

  setReplyHeader(key: string, value: string): void {
    this.replyHeaders.set(key, value);
  }

  /** The reply was built (`bytes` of its Thrift message; 0 for none): tells the listeners. */
  replied(bytes: number): void {
    this.bytes = bytes;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (error) {
        debug('afterReply listener threw: %s', describeValue(error));
      }
    }
  }
}
