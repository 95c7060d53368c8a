import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'node:net';
import { TTStreamErrorCode, type TTStreamError } from '../../../lib/errors/index.js';
import { TTStreamClientTransport } from '../../../lib/transport/client-transport.js';
import { closedPort } from '../../helpers/closed-port.js';
import { call, registerEcho } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { RawServer } from '../../helpers/raw-peer.js';
import { collect, rejectionOf, waitFor } from '../../helpers/wait.js';

async function echoOnce(client: TTStreamClientTransport, text: string): Promise<string[]> {
  const stream = client.openStream(call('Echo'));
  await stream.send(text);
  await stream.closeSend();
  return collect(stream);
}

describe('TTStreamClientTransport.connect() and its events', () => {
  let loop: Loopback | undefined;
  let client: TTStreamClientTransport | undefined;
  let raw: RawServer | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await loop?.close();
    loop = undefined;
    await raw?.close();
    raw = undefined;
  });

  it('rejects with 12006 naming the address when nothing listens, and reports it as an error event', async () => {
    const port = await closedPort();
    client = new TTStreamClientTransport({ host: '127.0.0.1', port }, { poolSize: 1 });
    const events: TTStreamError[] = [];
    client.on('error', (error) => events.push(error));
    const error = (await rejectionOf(client.connect())) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
    expect(error.message).toMatch(
      new RegExp(
        `^\\[ttstream error, code=12006\\] \\[client-side stream\\] dial tcp 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`,
      ),
    );
    expect(events).toEqual([error]);
    expect(client.stats().connections).toBe(0);
  });

  it('without an error listener a failed dial only rejects', async () => {
    client = new TTStreamClientTransport({ host: '127.0.0.1', port: await closedPort() });
    const error = (await rejectionOf(client.connect())) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
  });

  it('mux: resolves once connected; repeated and concurrent calls share the connection the next stream uses', async () => {
    loop = await startLoopback(registerEcho);
    client = loop.newClient({ pool: 'mux', poolSize: 2 });
    const sockets: Socket[] = [];
    client.on('connect', (socket) => sockets.push(socket));
    await Promise.all([client.connect(), client.connect(), client.connect()]);
    expect(client.stats()).toMatchObject({ connections: 1, dialedConnections: 1 });
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.remotePort).toBe(loop.address.port);
    await client.connect();
    expect(await echoOnce(client, 'hi')).toEqual(['hi']);
    expect(client.stats().dialedConnections).toBe(1);
    await waitFor(() => loop!.server.stats().connections === 1, 'one server connection');
  });

  it('long: the connection dialed by connect() is parked idle for the next stream', async () => {
    loop = await startLoopback(registerEcho);
    client = loop.newClient({ pool: 'long' });
    await client.connect();
    expect(await echoOnce(client, 'a')).toEqual(['a']);
    expect(client.stats().dialedConnections).toBe(1);
  });

  it('short: connect() proves the server reachable, then closes its probe connection', async () => {
    loop = await startLoopback(registerEcho);
    client = loop.newClient({ pool: 'short' });
    await client.connect();
    await waitFor(() => client!.stats().connections === 0, 'probe connection closed');
    expect(await echoOnce(client, 'b')).toEqual(['b']);
  });

  it('dials again after the server dropped the connection', async () => {
    loop = await startLoopback(registerEcho);
    const port = loop.address.port;
    client = new TTStreamClientTransport({ host: '127.0.0.1', port }, { poolSize: 1 });
    await client.connect();
    await loop.close();
    loop = undefined;
    await waitFor(() => client!.stats().connections === 0, 'connection dropped');
    const error = (await rejectionOf(client.connect())) as TTStreamError;
    expect(error.message).toContain(`dial tcp 127.0.0.1:${port}`);
  });

  it('rejects after close()', async () => {
    loop = await startLoopback(registerEcho);
    client = loop.newClient();
    await client.close();
    const error = (await rejectionOf(client.connect())) as TTStreamError;
    expect(error.kind).toBe(TTStreamErrorCode.TransportClosing);
    expect(error.message).toContain('client transport is closed');
  });

  it("emits 'error' (12004) when the server sends bytes that are not frames, nothing on a clean close", async () => {
    raw = await RawServer.start();
    client = new TTStreamClientTransport({ host: '127.0.0.1', port: raw.port }, { poolSize: 1 });
    const events: TTStreamError[] = [];
    client.on('error', (error) => events.push(error));
    await client.connect();
    (await raw.peer(0)).sendBytes(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await waitFor(() => events.length === 1, 'an error event');
    expect(events[0]!.kind).toBe(TTStreamErrorCode.IllegalFrame);
    await waitFor(() => client!.stats().connections === 0, 'connection closed');

    await client.connect();
    (await raw.peer(1)).socket.end();
    await waitFor(() => client!.stats().connections === 0, 'connection closed cleanly');
    expect(events).toHaveLength(1);
  });
});
