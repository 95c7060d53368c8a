import { Socket } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { TTStreamErrorCode, type TTStreamError } from '../../../lib/errors/index.js';
import {
  ClientConnection,
  type ClientConnectionEvents,
} from '../../../lib/transport/client-connection.js';
import type { ClientStream } from '../../../lib/transport/client-stream.js';

describe('ClientConnection dial timeout', () => {
  it('fails its streams with 12006 when the socket does not connect in time', async () => {
    let closed!: () => void;
    const onClosed = new Promise<void>((resolve) => (closed = resolve));
    const events: ClientConnectionEvents = {
      onStreamEnd: () => undefined,
      onClose: () => {
        closed();
      },
    };
    const connection = ClientConnection.dial(
      { host: '127.0.0.1', port: 1 },
      { dialTimeoutMs: 30, createSocket: () => new Socket() }, // never connects
      events,
    );
    const failures: unknown[] = [];
    const fake = {
      streamId: 1,
      failFromConnection: (error: unknown) => failures.push(error),
    } as unknown as ClientStream<never, never>;
    connection.add(fake);
    await onClosed;
    expect(connection.isClosed).toBe(true);
    expect(failures).toHaveLength(1);
    const error = failures[0] as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
    expect(error.message).toContain('dial 127.0.0.1:1 timed out after 30ms');
  });
});
