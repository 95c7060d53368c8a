import type { TTStreamServerTransport } from '../../lib/transport/server-transport.js';
import type { StreamCall } from '../../lib/transport/client-stream.js';
import { stringCodec } from './codecs.js';

/** The service name every loopback test uses. */
export const SERVICE = 'TestService';

/** A `StreamCall` of `TestService.<method>` with string messages. */
export function call(method: string, service = SERVICE): StreamCall<string, string> {
  return { service, method, requestCodec: stringCodec, responseCodec: stringCodec };
}

/**
 * Registers the echo methods: `Echo` (bidi, echoes each message), `EchoClient` (client
 * streaming, answers the messages joined with `,`) and `ServerStream` (server streaming, answers
 * `<req>-0` .. `<req>-(n-1)` where n is the number after `:` in the request, default 3).
 */
export function registerEcho(server: TTStreamServerTransport): void {
  server.register(SERVICE, 'Echo', {
    mode: 'bidirectional',
    requestCodec: stringCodec,
    responseCodec: stringCodec,
    handler: async (stream) => {
      for await (const message of stream) await stream.send(message);
    },
  });
  server.register(SERVICE, 'EchoClient', {
    mode: 'client',
    requestCodec: stringCodec,
    responseCodec: stringCodec,
    handler: async (stream) => {
      const all: string[] = [];
      for await (const message of stream) all.push(message);
      await stream.send(all.join(','));
    },
  });
  server.register(SERVICE, 'ServerStream', {
    mode: 'server',
    requestCodec: stringCodec,
    responseCodec: stringCodec,
    handler: async (stream) => {
      const first = await stream.recv();
      if (first.done === true) return;
      const [text, countText] = first.value.split(':');
      const count = countText === undefined ? 3 : Number(countText);
      for (let i = 0; i < count; i++) await stream.send(`${text ?? ''}-${i}`);
    },
  });
}
