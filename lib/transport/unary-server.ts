import type { Socket } from 'node:net';
import { ApplicationException, TApplicationExceptionType } from '../errors/index.js';
import { HEADER_IDL_SERVICE_NAME } from '../protocol/header-keys.js';
import { IntHeaderKey } from '../protocol/int-header-key.js';
import type { PingPongMessage } from '../protocol/pingpong-decoder.js';
import {
  decodeThriftMessageHeader,
  ThriftMessageType,
  type ThriftMessageHeader,
} from '../thrift/message-envelope.js';
import { DEFAULT_FRAME_TIMEOUT_MS } from './connection.js';
import { debug } from './debug.js';
import { DEFAULT_WRITER_HIGH_WATER_MARK } from './frame-writer.js';
import { setLongTimeout } from './long-timeout.js';
import {
  PingPongServerConnection,
  type PingPongConnectionOptions,
  type PingPongReply,
} from './pingpong-server-connection.js';
import { DEFAULT_MAX_CALLS_PER_CONNECTION } from './server-limits.js';
import { isResolvedRoute, ServerRouter } from './server-router.js';
import type { ServerTransportOptions } from './server-transport-options.js';
import { describeValue } from './to-error.js';
import {
  exceptionReply,
  replyForOutcome,
  replyTarget,
  type ReplyTarget,
  type UnaryOutcome,
} from './unary-reply.js';
import type { UnaryCall, UnaryRoute } from './unary-route.js';
import { ServedUnaryCall } from './served-unary-call.js';

/**
 * How long after a call's deadline (int key 12) its `context deadline exceeded` reply leaves; the
 * handler is aborted at the deadline itself. The client's timer started before it sent, ours when
 * the request arrived, so without it a late client timer on a loaded machine let our reply arrive
 * first: a Kitex client then reported a remote error instead of its own `ErrRPCTimeout`, which a
 * default Kitex server (no reply before its handler ends) never causes.
 */
export const DEADLINE_REPLY_GRACE_MS = 100;

/** Options of {@link UnaryServer}. @internal not covered by semver */
export interface UnaryServerOptions extends PingPongConnectionOptions {
  readonly hideErrorMessages: boolean;
  /** Maps a failure before it becomes the reply, as for streams' TRAILERs. */
  readonly mapError?: (error: unknown) => unknown;
}

/** The unary side's options from the transport's (the same limits as ttstream's, by name). @internal */
export function unaryServerOptions(options: ServerTransportOptions): UnaryServerOptions {
  return {
    maxMessageBytes: options.maxFrameBytes,
    maxHeaderKeys: options.maxHeaderKeys,
    maxHeaderBytes: options.maxHeaderBytes,
    maxCallsInFlight: options.maxCallsPerConnection ?? DEFAULT_MAX_CALLS_PER_CONNECTION,
    writeHighWaterMark: options.writeHighWaterMark ?? DEFAULT_WRITER_HIGH_WATER_MARK,
    idleTimeoutMs: options.idleTimeoutMs ?? 600_000,
    frameTimeoutMs: options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS,
    // The listener's sniffing already timed the first bytes.
    firstFrameTimeoutMs: 0,
    hideErrorMessages: options.hideErrorMessages ?? false,
    mapError: options.mapError,
  };
}

/** The text a handler's signal carries when the client's timeout (int key 12) elapses. */
const DEADLINE_TEXT = 'context deadline exceeded';

/**
 * Serves unary and oneway methods on ping-pong connections (the ones the listener found not to
 * be ttstream): routes each Thrift CALL/ONEWAY by `isn` and method name, runs its handler with a
 * deadline from int key 12, and answers as a Kitex server does.
 * @internal not covered by semver
 */
export class UnaryServer {
  private readonly router = new ServerRouter<UnaryRoute>();
  private readonly connections = new Set<PingPongServerConnection>();
  private running = 0;
  private draining = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: UnaryServerOptions,
    private readonly reportError: (error: Error, connection: PingPongServerConnection) => void,
  ) {}

  register(service: string, method: string, route: UnaryRoute): void {
    this.router.register(service, method, route);
  }

  /** Takes over an accepted socket whose first bytes are ping-pong. */
  accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const connection = new PingPongServerConnection(socket, this, this.options);
    this.connections.add(connection);
    if (this.draining) connection.drain();
  }

  /** Open ping-pong connections and calls being handled (oneway included). */
  stats(): { readonly connections: number; readonly calls: number } {
    return { connections: this.connections.size, calls: this.running };
  }

  /** Graceful shutdown starts: idle connections close, the others after their last reply. */
  drain(): void {
    this.draining = true;
    for (const c of this.connections) c.drain();
  }

  /** Resolves once no connection has a call whose reply is not written yet. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * End of the grace period: connections without calls close once their replies are flushed
   * (at most `flushMs`), the others at once, aborting the calls still running.
   */
  async endAll(flushMs: number, error: unknown): Promise<void> {
    await Promise.all([...this.connections].map((c) => c.end(flushMs, error)));
  }

  private isIdle(): boolean {
    for (const c of this.connections) if (c.callsInFlight > 0) return false;
    return true;
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** @internal */
  async onMessage(
    connection: PingPongServerConnection,
    message: PingPongMessage,
  ): Promise<PingPongReply | undefined> {
    let header: ThriftMessageHeader & { readonly bodyOffset: number };
    try {
      header = decodeThriftMessageHeader(message.message);
    } catch (error) {
      const target = replyTarget(message, '', message.headerSeqId ?? 0);
      return exceptionReply(
        target,
        TApplicationExceptionType.ProtocolError,
        describeValue(error),
        true,
      );
    }
    const target = replyTarget(message, header.name, header.seqId);
    if (header.type !== ThriftMessageType.Call && header.type !== ThriftMessageType.Oneway) {
      const text = `unexpected message type ${header.type} for ${header.name}: a server takes CALL (1) and ONEWAY (4)`;
      return exceptionReply(target, TApplicationExceptionType.InvalidMessageType, text, true);
    }
    const isn = message.strHeaders.get(HEADER_IDL_SERVICE_NAME) ?? '';
    const found = this.router.resolve(isn, header.name);
    if (!isResolvedRoute(found)) {
      // Kitex's texts and types: by `isn` when the service is known, else the UnknownService form.
      const known = found.typeId === TApplicationExceptionType.UnknownMethod && isn !== '';
      const text = known
        ? `unknown method ${header.name} (service ${isn})`
        : `unknown service ${isn}, method ${header.name}`;
      const typeId = known
        ? TApplicationExceptionType.UnknownMethod
        : TApplicationExceptionType.UnknownService;
      return exceptionReply(target, typeId, text, true);
    }
    const { service, route } = found;
    let args: Record<string, unknown>;
    try {
      args = route.argsCodec.decode(message.message.subarray(header.bodyOffset));
    } catch (error) {
      const text = `decode ${header.name} args: ${describeValue(error)}`;
      return exceptionReply(target, TApplicationExceptionType.ProtocolError, text, true);
    }
    const oneway = header.type === ThriftMessageType.Oneway;
    return this.run(connection, message, target, service, route, args, oneway);
  }

  private async run(
    connection: PingPongServerConnection,
    message: PingPongMessage,
    target: ReplyTarget,
    service: string,
    route: UnaryRoute,
    args: Record<string, unknown>,
    oneway: boolean,
  ): Promise<PingPongReply | undefined> {
    const controller = new AbortController();
    const onClose = (): void => {
      controller.abort(connection.signal.reason);
    };
    connection.signal.addEventListener('abort', onClose, { once: true });
    const timeoutMs = parseTimeout(message.intHeaders.get(IntHeaderKey.RPCTimeout));
    const deadline = new ApplicationException(
      TApplicationExceptionType.InternalError,
      `biz error: ${DEADLINE_TEXT}`,
      { side: 'server' },
    );
    const timer =
      timeoutMs === undefined
        ? undefined
        : setLongTimeout(() => {
            controller.abort(deadline);
          }, timeoutMs);
    const call = new ServedUnaryCall({
      seqId: target.seqId,
      service,
      method: target.name,
      oneway,
      args,
      headers: message.strHeaders,
      timeoutMs,
      signal: controller.signal,
      remoteAddress: connection.remoteAddress,
      shape: message.shape,
      requestBytes: message.message.length,
    });
    this.running++;
    const outcome = settle(route, call).finally(() => {
      clearTimeout(timer);
      connection.signal.removeEventListener('abort', onClose);
      this.running--;
    });
    // The call ends at the deadline even if the handler goes on: later replies on the
    // connection wait for this one. Its reply waits out a grace, so the client's own timer
    // (started before it sent) decides, as against a Kitex server.
    const ended = abortedOutcome(controller.signal, deadline);
    const settled = await Promise.race([
      outcome.then((result) => (controller.signal.reason === deadline ? ended : result)),
      ended,
    ]);
    let reply: PingPongReply | undefined;
    try {
      reply = this.reply(target, route, settled, call.replyHeaders, oneway);
    } finally {
      call.replied(reply === undefined ? 0 : reply.init.message.length);
    }
    return reply;
  }

  private reply(
    target: ReplyTarget,
    route: UnaryRoute,
    settled: UnaryOutcome,
    replyHeaders: ReadonlyMap<string, string>,
    oneway: boolean,
  ): PingPongReply | undefined {
    if (oneway) {
      // Nothing goes back; a failure is only worth a debug line (Kitex logs it). The call held
      // its place until now, so `maxCallsPerConnection` bounds oneway handlers too.
      if (!settled.ok) debug('oneway %s failed: %s', target.name, describeValue(settled.error));
      return undefined;
    }
    const { mapError, hideErrorMessages } = this.options;
    const mapped = settled.ok || mapError === undefined ? settled : mapFailure(settled, mapError);
    return replyForOutcome(target, route, mapped, replyHeaders, hideErrorMessages);
  }

  /** @internal */
  onClose(connection: PingPongServerConnection, error: unknown): void {
    this.connections.delete(connection);
    if (error instanceof Error) this.reportError(error, connection);
    this.notifyIfIdle();
  }

  /** @internal */
  onIdle(): void {
    // The connection ends itself when draining; shutdown may be waiting for this.
    this.notifyIfIdle();
  }
}

function settle(route: UnaryRoute, call: UnaryCall): Promise<UnaryOutcome> {
  let promise: Promise<unknown>;
  try {
    promise = route.handler(call);
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
  return Promise.resolve(promise).then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** `mapError` applied to a failure; a mapper that throws leaves the failure as it was. */
function mapFailure(outcome: UnaryOutcome, mapError: (error: unknown) => unknown): UnaryOutcome {
  if (outcome.ok) return outcome;
  try {
    return { ok: false, error: mapError(outcome.error) };
  } catch (error) {
    debug('mapError threw: %s', describeValue(error));
    return outcome;
  }
}

/**
 * Settles with the signal's reason once it aborts (never, if it does not): at once, or
 * {@link DEADLINE_REPLY_GRACE_MS} later when the reason is the call's deadline.
 */
function abortedOutcome(signal: AbortSignal, deadline: Error): Promise<UnaryOutcome> {
  return new Promise((resolve) => {
    const done = (): void => {
      const failed: UnaryOutcome = { ok: false, error: signal.reason };
      if (signal.reason === deadline) setTimeout(resolve, DEADLINE_REPLY_GRACE_MS, failed);
      else resolve(failed);
    };
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

/** Int key 12: a positive decimal number of ms; anything else means no timeout. */
function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  const ms = Number(text);
  return ms > 0 ? ms : undefined;
}
