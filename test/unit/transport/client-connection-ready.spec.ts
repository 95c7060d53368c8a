import { Socket } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { TTStreamErrorCode, type TTStreamError } from '../../../lib/errors/index.js';
import {
  ClientConnection,
  type ClientConnectionEvents,
} from '../../../lib/transport/client-connection.js';
import { rejectionOf } from '../../helpers/wait.js';

describe('ClientConnection.ready', () => {
  it('rejects with the dial-timeout error, which onClose also receives', async () => {
    const closes: (TTStreamError | undefined)[] = [];
    const connects: ClientConnection[] = [];
    const events: ClientConnectionEvents = {
      onStreamEnd: () => undefined,
      onConnect: (c) => connects.push(c),
      onClose: (_c, error) => closes.push(error),
    };
    const connection = ClientConnection.dial(
      { host: '127.0.0.1', port: 1 },
      { dialTimeoutMs: 20, createSocket: () => new Socket() }, // never connects
      events,
    );
    expect(connection.isConnected).toBe(false);
    const error = (await rejectionOf(connection.ready)) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
    expect(error.message).toContain('dial 127.0.0.1:1 timed out after 20ms');
    expect(closes).toEqual([error]);
    expect(connects).toEqual([]);
    expect(connection.isConnected).toBe(false);
  });
});
