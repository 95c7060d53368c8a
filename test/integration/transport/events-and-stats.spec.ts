import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { ServerStream } from '../../../lib/transport/server-stream.js';
import { stringCodec } from '../../helpers/codecs.js';
import { call, registerEcho, SERVICE } from '../../helpers/echo-service.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { collect, latch, waitFor } from '../../helpers/wait.js';

describe('server events, peer address and cumulative stats', () => {
  let loop: Loopback | undefined;
  afterEach(async () => {
    await loop?.close();
    loop = undefined;
  });

  it("emits 'connection' per accepted socket; streams know the peer address and port", async () => {
    const seen = latch<{ address: string | undefined; port: number | undefined }>();
    loop = await startLoopback((s) => {
      registerEcho(s);
      s.register(SERVICE, 'Who', {
        mode: 'server',
        requestCodec: stringCodec,
        responseCodec: stringCodec,
        handler: async (stream: ServerStream<string, string>) => {
          seen.resolve({ address: stream.remoteAddress, port: stream.remotePort });
          await stream.send('ok');
        },
      });
    });
    const sockets: Socket[] = [];
    loop.server.on('connection', (socket) => {
      sockets.push(socket);
    });
    const stream = loop.client.openStream(call('Who'));
    await stream.send('x');
    await stream.closeSend();
    expect(await collect(stream)).toEqual(['ok']);
    const { address, port } = await seen.promise;
    expect(address).toBe('127.0.0.1');
    expect(sockets).toHaveLength(1);
    expect(port).toBe(sockets[0]!.remotePort);
    expect(loop.server.stats().acceptedConnections).toBe(1);
    expect(loop.client.stats().dialedConnections).toBe(1);
  });

  it("emits 'error' for a peer that sends garbage; without a listener nothing throws", async () => {
    loop = await startLoopback(registerEcho);
    const garbage = async (): Promise<void> => {
      const socket = connect({ host: '127.0.0.1', port: loop!.address.port });
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) =>
        socket.once('connect', () => {
          resolve();
        }),
      );
      const closed = new Promise<void>((resolve) =>
        socket.once('close', () => {
          resolve();
        }),
      );
      socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      await closed;
    };
    await garbage(); // no 'error' listener: must not crash
    const errors: Error[] = [];
    loop.server.on('error', (error) => {
      errors.push(error);
    });
    await garbage();
    await waitFor(() => errors.length === 1, "an 'error' event");
    expect(loop.server.stats().acceptedConnections).toBe(2);
  });

  it('counts dialed connections cumulatively (short pool: one per stream)', async () => {
    loop = await startLoopback(registerEcho);
    const client = loop.newClient({ pool: 'short' });
    for (let i = 0; i < 3; i++) {
      const stream = client.openStream(call('Echo'));
      await stream.send(`m${i}`);
      await stream.closeSend();
      await collect(stream);
    }
    expect(client.stats().dialedConnections).toBe(3);
    await waitFor(() => loop!.server.stats().acceptedConnections === 3, '3 accepted');
  });
});
