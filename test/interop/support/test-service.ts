/**
 * The reference TestService (shared/spec/echo-service.md) on our own transport and Thrift codecs,
 * with the test-only hooks of the Kitex peer (test/interop/README.md): `x-metainfo`,
 * `x-echo-initial` / `x-echo-trailing`, and the `interval-ms` metainfo pause. Every handler logs a
 * `stream_end` record of what it observed, like the Go server's event log.
 */
import { BizStatusError, isTTStreamError, type TTStreamError } from '../../../lib/errors/index.js';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import type { MessageCodec } from '../../../lib/thrift/message-codec.js';
import type { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import type { ServerStream, StreamMode } from '../../../lib/transport/server-stream.js';
import type { TTStreamServerTransport } from '../../../lib/transport/server-transport.js';

/** `Request` of sample/idl/echo.thrift as our codec decodes it. */
export interface EchoRequest {
  message?: string;
  userId?: bigint;
  count?: number;
}

/** `Response` of sample/idl/echo.thrift. */
export interface EchoResponse {
  message: string;
  index: number;
}

/** The IDL service name. */
export const SERVICE = 'TestService';

/** The four methods and their modes. */
export const METHODS = {
  Echo: 'bidirectional',
  EchoClient: 'client',
  EchoServer: 'server',
  ServerStreamWithErr: 'server',
} as const satisfies Record<string, StreamMode>;

/** A method name of TestService. */
export type MethodName = keyof typeof METHODS;

/** A `StreamCall` for `openStream`. */
export interface EchoCall {
  readonly service: string;
  readonly method: string;
  readonly requestCodec: MessageCodec<EchoRequest>;
  readonly responseCodec: MessageCodec<EchoResponse>;
}

const idl = loadThriftIdl('sample/idl/echo.thrift');

function codecsOf(method: MethodName): Omit<EchoCall, 'service' | 'method'> {
  const descriptor = idl.services.get(SERVICE)?.methods.get(method);
  if (descriptor === undefined || descriptor.mode === 'unary') {
    throw new Error(`${SERVICE}.${method} is not a streaming method of echo.thrift`);
  }
  return {
    requestCodec: descriptor.requestCodec as MessageCodec<EchoRequest>,
    responseCodec: descriptor.responseCodec as MessageCodec<EchoResponse>,
  };
}

/** `TestService.<method>` with the echo.thrift codecs (any method name: for the unknown-method case). */
export function echoCall(method: string, service = SERVICE): EchoCall {
  return { service, method, ...codecsOf(method in METHODS ? (method as MethodName) : 'Echo') };
}

/** What one handler run observed (the Go server's `stream_end`, in TS). */
export interface StreamEnd {
  readonly method: string;
  readonly tMs: number;
  readonly sent: number;
  readonly recv: number;
  /** The first error a receive, send or pause saw (usually the stream's cancel error). */
  readonly observed: Error | undefined;
  /** The stream signal's reason at the end (a `TTStreamError` once aborted). */
  readonly signalReason: unknown;
  /** The error the handler ended with (undefined = success). */
  readonly returned: unknown;
  readonly headers: ReadonlyMap<string, string>;
  readonly metainfo: { transient: Record<string, string>; persistent: Record<string, string> };
  /** The error of the downstream stream (cascade mode). */
  readonly downstream: Error | undefined;
}

/** The log a registered service writes to. */
export interface TestServiceLog {
  readonly starts: { method: string; tMs: number }[];
  readonly ends: StreamEnd[];
  /** Peak `server.stats().connections` seen when a stream started. */
  peakConnections: number;
  /** Resolves with the first `StreamEnd` (from index `from`) that matches, within `timeoutMs`. */
  waitForEnd(
    match: (e: StreamEnd) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<StreamEnd>;
}

/** Options of {@link registerTestService}. */
export interface TestServiceOptions {
  /**
   * Cascade mode: `Echo` relays every request to `Echo` on the server behind this client (opened
   * inside the handler, so cancellation cascades implicitly) and relays its responses back. A
   * request whose message starts with `return-early` makes the handler return right after
   * relaying that request's response, leaving the downstream stream open.
   */
  readonly forwardTo?: TTStreamClientTransport;
}

/** A TTStreamError as its parts (for assertions). */
export function errorParts(error: unknown): {
  kind?: number;
  code?: number;
  path?: readonly string[];
  message: string;
} {
  if (isTTStreamError(error)) {
    const e: TTStreamError = error;
    return {
      kind: e.kind,
      code: e.code,
      ...(e.canceledPath === undefined ? {} : { path: e.canceledPath }),
      message: e.message,
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((done, fail) => {
    if (signal.aborted) {
      fail(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      fail(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function intervalOf(stream: ServerStream<EchoRequest, EchoResponse>): number {
  const text = stream.metainfo.transient['interval-ms'];
  const n = Number(text ?? '');
  return Number.isInteger(n) && n > 0 ? Math.min(n, 60_000) : 0;
}

class Run {
  sent = 0;
  received = 0;
  observed: Error | undefined;
  downstream: Error | undefined;

  constructor(
    readonly stream: ServerStream<EchoRequest, EchoResponse>,
    readonly method: string,
  ) {
    stream.setHeader('x-handler', `${SERVICE}.${method}`);
    const { transient, persistent } = stream.metainfo;
    if (Object.keys(transient).length > 0 || Object.keys(persistent).length > 0) {
      stream.setHeader('x-metainfo', JSON.stringify({ transient, persistent }));
    }
    const initial = stream.headers.get('x-echo-initial');
    if (initial !== undefined) stream.setHeader('x-echo-initial', initial);
    const trailing = stream.headers.get('x-echo-trailing');
    if (trailing !== undefined) stream.setTrailer('x-echo-trailing', trailing);
  }

  note(error: unknown): unknown {
    this.observed ??= error instanceof Error ? error : new Error(String(error));
    return error;
  }

  async recv(): Promise<EchoRequest | undefined> {
    try {
      const next = await this.stream.recv();
      if (next.done === true) return undefined;
      this.received++;
      return next.value;
    } catch (error) {
      throw this.note(error);
    }
  }

  async send(response: EchoResponse): Promise<void> {
    try {
      await this.stream.send(response);
      this.sent++;
    } catch (error) {
      throw this.note(error);
    }
  }

  async pause(ms: number): Promise<void> {
    try {
      await abortableSleep(ms, this.stream.signal);
    } catch (error) {
      throw this.note(error);
    }
  }
}

/** Registers the four TestService methods on `server`; returns the event log. */
export function registerTestService(
  server: TTStreamServerTransport,
  options: TestServiceOptions = {},
): TestServiceLog {
  const waiters = new Set<() => void>();
  const log: TestServiceLog = {
    starts: [],
    ends: [],
    peakConnections: 0,
    waitForEnd(match, timeoutMs = 10_000, from = 0) {
      return new Promise((done, fail) => {
        const check = (): boolean => {
          const found = log.ends.slice(from).find(match);
          if (found === undefined) return false;
          waiters.delete(onEnd);
          clearTimeout(timer);
          done(found);
          return true;
        };
        const onEnd = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(onEnd);
          fail(new Error(`no matching stream_end of our TestService within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(onEnd);
      });
    },
  };

  const serve = (
    method: MethodName,
    body: (run: Run, stream: ServerStream<EchoRequest, EchoResponse>) => Promise<void>,
  ): void => {
    server.register<EchoRequest, EchoResponse>(SERVICE, method, {
      mode: METHODS[method],
      ...codecsOf(method),
      handler: async (stream) => {
        log.peakConnections = Math.max(log.peakConnections, server.stats().connections);
        log.starts.push({ method, tMs: Date.now() });
        const run = new Run(stream, method);
        let returned: unknown;
        try {
          await body(run, stream);
        } catch (error) {
          returned = error;
          throw error;
        } finally {
          stream.setTrailer('x-sent', String(run.sent));
          log.ends.push({
            method,
            tMs: Date.now(),
            sent: run.sent,
            recv: run.received,
            observed: run.observed,
            signalReason: stream.signal.aborted ? (stream.signal.reason as unknown) : undefined,
            returned,
            headers: stream.headers,
            metainfo: stream.metainfo,
            downstream: run.downstream,
          });
          for (const w of [...waiters]) w();
        }
      },
    });
  };

  serve('Echo', async (run) => {
    if (options.forwardTo !== undefined) {
      await forwardEcho(run, options.forwardTo);
      return;
    }
    for (;;) {
      const request = await run.recv();
      if (request === undefined) return;
      await run.send({ message: request.message ?? '', index: run.received - 1 });
    }
  });

  serve('EchoClient', async (run, stream) => {
    const messages: string[] = [];
    for (;;) {
      const request = await run.recv();
      if (request === undefined) break;
      messages.push(request.message ?? '');
    }
    await run.pause(intervalOf(stream));
    await run.send({ message: messages.join(','), index: messages.length });
  });

  serve('EchoServer', async (run, stream) => {
    const request = (await run.recv()) ?? {};
    const gap = intervalOf(stream);
    for (let i = 0; i < (request.count ?? 0); i++) {
      await run.pause(gap);
      await run.send({ message: request.message ?? '', index: i });
    }
  });

  serve('ServerStreamWithErr', async (run, stream) => {
    const request = (await run.recv()) ?? {};
    if (request.message === 'test error') throw new Error('test error');
    const gap = intervalOf(stream);
    for (let i = 0, balance = request.count ?? 0; balance > 0; i++, balance--) {
      await run.pause(gap);
      await run.send({ message: `token-${i}`, index: i });
    }
    throw new BizStatusError(10001, 'insufficient user balance', { testKey: 'testVal' });
  });

  return log;
}

/** Waits for `promise` at most `ms` (the timer is cleared either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise((done) => (timer = setTimeout(done, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Cascade mode of `Echo`: relay to the downstream server's `Echo` and back. */
async function forwardEcho(run: Run, client: TTStreamClientTransport): Promise<void> {
  // Opened inside the handler: the transport links it to this server stream (AsyncLocalStorage).
  const down = client.openStream(echoCall('Echo'));
  const mode = { returnEarly: false };
  let relayedAfterEarly: () => void = () => undefined;
  const earlyRelayed = new Promise<void>((done) => {
    relayedAfterEarly = done;
  });
  const relay = (async () => {
    for await (const response of down) {
      await run.send(response);
      if (mode.returnEarly) relayedAfterEarly();
    }
  })();
  relay.catch((error: unknown) => {
    run.downstream ??= error instanceof Error ? error : new Error(String(error));
  });
  for (;;) {
    let request: EchoRequest | undefined;
    try {
      request = await run.recv();
    } catch (error) {
      // Give the downstream stream a moment to see the cascaded cancel, as the Go relay does.
      await within(
        relay.catch(() => undefined),
        2000,
      );
      throw error;
    }
    if (request === undefined) {
      await down.closeSend();
      break;
    }
    if ((request.message ?? '').startsWith('return-early')) {
      mode.returnEarly = true;
      await down.send(request);
      await within(earlyRelayed, 5000);
      return; // leaves `down` open: returning cancels it with 12012
    }
    await down.send(request);
  }
  await relay;
}
