import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { lastValueFrom, of, type Observable, toArray } from 'rxjs';
import { StreamPattern, type TTStreamClient, type TTStreamContext } from '../../../lib/index.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

interface Req {
  message: string;
  count: number;
}

@Controller()
class AddressController {
  /** Answers with the peer address the context reports. */
  @StreamPattern('TestService.EchoServer')
  echoServer(@Payload() req: Req, @Ctx() ctx: TTStreamContext): Observable<unknown> {
    return of({ message: `${req.message}:${ctx.getRemoteAddress() ?? 'none'}`, index: 0 });
  }
}

describe("TTStreamServer 'connection' / 'error' events and the peer address", () => {
  let s: ServerApp;
  let client: TTStreamClient;
  const connections: unknown[] = [];
  const errors: Error[] = [];
  beforeAll(async () => {
    s = await startServerApp({ controllers: [AddressController] });
    s.server.on('connection', (socket) => {
      connections.push(socket);
    });
    s.server.on('error', (error) => {
      errors.push(error);
    });
    client = clientFor(s.port);
  });
  afterAll(async () => {
    await client.close();
    await s.app.close();
  });

  it("emits 'connection' with the socket and getRemoteAddress() returns the client address", async () => {
    const replies = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('hi', 1)).pipe(toArray()),
    );
    expect(replies).toEqual([{ message: 'hi:127.0.0.1', index: 0 }]);
    expect(connections).toHaveLength(1);
    expect((connections[0] as Socket).remoteAddress).toBe('127.0.0.1');
  });

  it("emits 'error' when a peer sends bytes that are not TTHeader frames", async () => {
    const before = errors.length;
    const socket = connect({ host: '127.0.0.1', port: s.port });
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
    socket.on('error', () => undefined);
    socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await closed;
    for (let i = 0; i < 100 && errors.length === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(errors.length).toBeGreaterThan(before);
    expect(errors[errors.length - 1]!.message).toMatch(/frame|magic|header/i);
  });
});
