import { TTStreamServerTransport } from '../../lib/transport/server-transport.js';
import { currentParentStream } from '../../lib/transport/stream-scope.js';
import type { TcpAddress } from '../../lib/transport/address.js';
import { stringCodec } from './codecs.js';
import { SERVICE } from './echo-service.js';
import { headerFrame, trailerFrame } from './frames.js';
import { RawPeer } from './raw-peer.js';
import { waitFor } from './wait.js';

/** Serves `Scope`, which reports whether its handler runs inside the stream scope. */
export async function scopeSeenByHandler(cascade?: boolean): Promise<boolean> {
  const seen: boolean[] = [];
  const server = new TTStreamServerTransport(cascade === undefined ? {} : { cascade });
  server.register(SERVICE, 'Scope', {
    mode: 'bidirectional',
    requestCodec: stringCodec,
    responseCodec: stringCodec,
    handler: async (stream) => {
      // Checked after an await, where only the AsyncLocalStorage scope can still say it.
      await Promise.resolve();
      seen.push(currentParentStream() === stream);
    },
  });
  const address = (await server.listen({ host: '127.0.0.1', port: 0 })) as TcpAddress;
  const peer = await RawPeer.connect(address.port);
  try {
    peer.send(headerFrame(1, 'Scope'), trailerFrame(1, 'Scope'));
    await waitFor(() => seen.length === 1, 'the handler ran');
    return seen[0] as boolean;
  } finally {
    await peer.close();
    await server.close();
  }
}
