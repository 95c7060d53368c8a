import type { ServerStream, StreamMode } from '../../lib/transport/server-stream.js';
import type { TTStreamServerTransport } from '../../lib/transport/server-transport.js';
import { stringCodec } from './codecs.js';
import { SERVICE } from './echo-service.js';

/** Method name of the hold method of each kind. */
export const HOLD: Record<StreamMode, string> = {
  bidirectional: 'HoldBidi',
  client: 'HoldClient',
  server: 'HoldServer',
};

/** Resolves when `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}

/** What the probe saw of one stream. */
export interface ProbeRecord {
  readonly stream: ServerStream<string, string>;
  /** The stream's signal reason once the handler has ended. */
  readonly ended: Promise<unknown>;
  /** The messages it received. */
  readonly received: string[];
}

/**
 * Hold methods that keep a stream open until it is cancelled: bidi echoes each message except
 * `sleep`, which parks it (and ends at the client's half-close); client streaming reads, then parks; server streaming sends `r0` and parks.
 * Every stream is recorded in `records` (in arrival order).
 */
export function registerHold(server: TTStreamServerTransport, records: ProbeRecord[]): void {
  for (const mode of ['bidirectional', 'client', 'server'] as const) {
    server.register(SERVICE, HOLD[mode], {
      mode,
      requestCodec: stringCodec,
      responseCodec: stringCodec,
      handler: async (stream) => {
        let done!: (reason: unknown) => void;
        const received: string[] = [];
        records.push({ stream, received, ended: new Promise((r) => (done = r)) });
        try {
          if (mode === 'server') {
            const first = await stream.recv();
            if (first.done !== true) received.push(first.value);
            await stream.send('r0');
            await aborted(stream.signal);
          } else {
            for await (const m of stream) {
              received.push(m);
              if (m === 'sleep') await aborted(stream.signal);
              else if (mode === 'bidirectional') await stream.send(m);
            }
            if (mode === 'client') await aborted(stream.signal);
          }
        } finally {
          setImmediate(() => {
            done(stream.signal.reason);
          });
        }
      },
    });
  }
}
