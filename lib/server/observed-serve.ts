import { type RpcKind, type RpcObserver, type RpcOutcome } from '../telemetry/rpc-lifecycle.js';
import { OK_OUTCOME } from '../telemetry/rpc-outcome.js';
import { type TelemetryHub } from '../telemetry/telemetry-hub.js';
import { reportedOutcome } from './handler-error-store.js';
import { type ServerCall } from './server-call.js';

/**
 * Serves `call` with `serve`, reporting it to telemetry when a plug-in observes it: the start
 * (with the request's headers, where trace context arrives), the messages when the observer asks
 * for them, the outcome and the counts. The observer's `run` wraps the whole Nest pipeline, so a
 * call the handler makes runs in this RPC's context.
 * @internal not covered by semver
 */
export async function serveObserved(
  hub: TelemetryHub,
  call: ServerCall,
  described: {
    readonly kind: RpcKind;
    readonly idlPackage?: string;
    readonly localService?: string;
  },
  serve: (call: ServerCall) => Promise<void>,
): Promise<void> {
  const observer = hub.start({
    side: 'server',
    service: call.service,
    method: call.method,
    kind: described.kind,
    idlPackage: described.idlPackage,
    localService: described.localService,
    peer: call.remoteAddress,
    timeoutMs: call.timeoutMs,
    headers: call.headers,
  });
  if (observer === undefined) return serve(call);
  const started = performance.now();
  // The call is wrapped only for an observer of its events; the counts are the transport's, so
  // messages cost nothing more unless the observer asks for each one.
  const watchesEvents =
    observer.message !== undefined ||
    observer.header !== undefined ||
    observer.trailer !== undefined;
  const observed = watchesEvents ? new ObservedServerCall(call, observer) : call;
  const stats = () => ({
    sentMessages: call.sentMessages,
    receivedMessages: call.receivedMessages,
    sentBytes: call.sentBytes,
    receivedBytes: call.receivedBytes,
    durationMs: performance.now() - started,
  });
  // A unary call ends once its reply is built, so that its size is counted.
  const end = (outcome: RpcOutcome): void => {
    if (call.afterReply === undefined) {
      observer.end(outcome, stats());
      return;
    }
    call.afterReply(() => {
      observer.end(outcome, stats());
    });
  };
  try {
    await (observer.run === undefined ? serve(observed) : observer.run(() => serve(observed)));
  } catch (error) {
    end(reportedOutcome(error));
    throw error;
  }
  end(OK_OUTCOME);
}

/** A {@link ServerCall} that tells an observer what passes through it. */
class ObservedServerCall implements ServerCall {
  readonly sendThen: ServerCall['sendThen'];

  constructor(
    private readonly call: ServerCall,
    private readonly observer: RpcObserver,
  ) {
    this.sendThen = observedSendThen(call, observer);
  }

  get streamId(): number {
    return this.call.streamId;
  }
  get service(): string {
    return this.call.service;
  }
  get method(): string {
    return this.call.method;
  }
  get mode(): ServerCall['mode'] {
    return this.call.mode;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.call.headers;
  }
  get timeoutMs(): number | undefined {
    return this.call.timeoutMs;
  }
  get remoteAddress(): string | undefined {
    return this.call.remoteAddress;
  }
  get sentMessages(): number {
    return this.call.sentMessages;
  }
  get receivedMessages(): number {
    return this.call.receivedMessages;
  }
  get sentBytes(): number | undefined {
    return this.call.sentBytes;
  }
  get receivedBytes(): number | undefined {
    return this.call.receivedBytes;
  }
  get signal(): AbortSignal {
    return this.call.signal;
  }

  setHeader(headers: Readonly<Record<string, string>>): void {
    this.call.setHeader(headers);
  }

  async sendHeader(headers?: Readonly<Record<string, string>>): Promise<void> {
    await this.call.sendHeader(headers);
    if (headers !== undefined) this.observer.header?.(headers);
  }

  setTrailer(trailers: Readonly<Record<string, string>>): void {
    this.call.setTrailer(trailers);
    this.observer.trailer?.(trailers);
  }

  send(message: unknown): Promise<void> {
    if (this.observer.message === undefined) return this.call.send(message);
    return this.call.send(message).then(() => {
      this.observer.message?.('sent', message, undefined);
    });
  }

  reset(error: Parameters<ServerCall['reset']>[0]): void {
    this.call.reset(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    const inner = this.call[Symbol.asyncIterator]();
    const observer = this.observer;
    if (observer.message === undefined) return inner;
    const counted = (result: IteratorResult<unknown>): IteratorResult<unknown> => {
      if (result.done !== true) observer.message?.('received', result.value, undefined);
      return result;
    };
    return {
      next: () => inner.next().then(counted),
      return: inner.return?.bind(inner),
      throw: inner.throw?.bind(inner),
    };
  }
}

/** `call.sendThen`, telling `observer` of each message once written. */
function observedSendThen(call: ServerCall, observer: RpcObserver): ServerCall['sendThen'] {
  const sendThen = call.sendThen?.bind(call);
  if (sendThen === undefined || observer.message === undefined) return sendThen;
  return (message, onWritten) => {
    const written = (error?: Error): void => {
      if (error === undefined) observer.message?.('sent', message, undefined);
      onWritten(error);
    };
    if (!sendThen(message, written)) return false;
    observer.message?.('sent', message, undefined);
    return true;
  };
}
