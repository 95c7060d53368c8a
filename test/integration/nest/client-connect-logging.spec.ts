import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Logger, type LoggerService } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { lastValueFrom, type Observable, of, toArray } from 'rxjs';
import {
  StreamPattern,
  TTStreamError,
  TTStreamErrorCode,
  type TTStreamClient,
  type TTStreamClientStatus,
  type TTStreamClientTransport,
} from '../../../lib/index.js';
import { closedPort } from '../../helpers/closed-port.js';
import { RawServer } from '../../helpers/raw-peer.js';
import { rejectionOf, waitFor } from '../../helpers/wait.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

@Controller()
class EchoOnceController {
  @StreamPattern('TestService.EchoServer')
  echo(@Payload() req: { message: string }): Observable<unknown> {
    return of({ message: req.message, index: 0 });
  }
}

interface Line {
  readonly level: string;
  readonly message: unknown;
  readonly params: unknown[];
}

/** A LoggerService that records every line. */
class RecordingLogger implements LoggerService {
  readonly lines: Line[] = [];
  log(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'log', message, params });
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'warn', message, params });
  }
  error(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'error', message, params });
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'debug', message, params });
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'verbose', message, params });
  }
}

function dialRefused(port: number): RegExp {
  return new RegExp(
    `^\\[ttstream error, code=12006\\] \\[client-side stream\\] dial tcp 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`,
  );
}

describe('TTStreamClient.connect() dials for real', () => {
  let s: ServerApp | undefined;
  let client: TTStreamClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await s?.app.close();
    s = undefined;
  });

  it('rejects with TTStreamError 12006 at once when nothing listens (not after the dial timeout)', async () => {
    const port = await closedPort();
    client = clientFor(port, { logger: false, transportOptions: { dialTimeoutMs: 30_000 } });
    const error = await rejectionOf(client.connect());
    expect(error).toBeInstanceOf(TTStreamError);
    expect((error as TTStreamError).kind).toBe(TTStreamErrorCode.TransportClosing);
    expect((error as TTStreamError).message).toMatch(dialRefused(port));
    // Nest's send() connects first: the same typed error.
    const sent = await rejectionOf(
      lastValueFrom(client.send('TestService.EchoServer', request('x'))),
    );
    expect(sent).toBeInstanceOf(TTStreamError);
    expect((sent as TTStreamError).message).toMatch(dialRefused(port));
  });

  it('resolves once connected; repeated calls share the connection, which the next call uses', async () => {
    s = await startServerApp({ controllers: [EchoOnceController] });
    client = clientFor(s.port, { logger: false, transportOptions: { poolSize: 2 } });
    const statuses: TTStreamClientStatus[] = [];
    client.status.subscribe((status) => statuses.push(status));
    await Promise.all([client.connect(), client.connect()]);
    await client.connect();
    const transport = client.unwrap<TTStreamClientTransport>();
    expect(transport.stats()).toMatchObject({ connections: 1, dialedConnections: 1 });
    expect(statuses).toEqual(['connected']);
    const replies = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('hi')).pipe(toArray()),
    );
    expect(replies).toEqual([{ message: 'hi', index: 0 }]);
    expect(transport.stats().dialedConnections).toBe(1);

    await client.close();
    expect(statuses).toEqual(['connected', 'disconnected']);
    expect(transport.stats().connections).toBe(0);
    // A closed client connects again with a new transport, as Nest clients do.
    await client.connect();
    expect(statuses).toEqual(['connected', 'disconnected', 'connected']);
  });

  it('a call without connect() moves the status to connected too', async () => {
    s = await startServerApp({ controllers: [EchoOnceController] });
    client = clientFor(s.port, { logger: false });
    const statuses: TTStreamClientStatus[] = [];
    client.status.subscribe((status) => statuses.push(status));
    await lastValueFrom(client.serverStream('TestService.EchoServer', request('a')));
    expect(statuses).toEqual(['connected']);
  });
});

describe('TTStreamClient logging', () => {
  let s: ServerApp | undefined;
  let raw: RawServer | undefined;
  let client: TTStreamClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await s?.app.close();
    s = undefined;
    await raw?.close();
    raw = undefined;
  });

  it('a failed dial: one WARN with the server address, context TTStreamClient', async () => {
    const logger = new RecordingLogger();
    const port = await closedPort();
    client = clientFor(port, { logger });
    const error = (await rejectionOf(client.connect())) as TTStreamError;
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: `Connection to 127.0.0.1:${port} failed: ${error.message}`,
        params: ['TTStreamClient'],
      },
    ]);
  });

  it('a connection that dies of bad bytes: WARN with 12004 and the address', async () => {
    const logger = new RecordingLogger();
    raw = await RawServer.start();
    client = clientFor(raw.port, { logger });
    await client.connect();
    (await raw.peer(0)).sendBytes(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await waitFor(() => logger.lines.length > 0, 'a log line');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'warn', params: ['TTStreamClient'] });
    expect(logger.lines[0]!.message).toMatch(
      new RegExp(
        `^Connection to 127\\.0\\.0\\.1:${raw.port} failed: \\[ttstream error, code=12004\\]`,
      ),
    );
  });

  it('successful calls and a clean server shutdown log nothing', async () => {
    const logger = new RecordingLogger();
    s = await startServerApp({ controllers: [EchoOnceController] });
    client = clientFor(s.port, { logger });
    await client.connect();
    for (let i = 0; i < 3; i++) {
      await lastValueFrom(client.serverStream('TestService.EchoServer', request(`m${i}`)));
    }
    const transport = client.unwrap<TTStreamClientTransport>();
    await s.app.close();
    s = undefined;
    await waitFor(() => transport.stats().connections === 0, 'connection closed by the server');
    expect(logger.lines).toEqual([]);
  });

  it("logger: false is silent; the default goes through Nest's Logger", async () => {
    const global = new RecordingLogger();
    Logger.overrideLogger(global);
    try {
      const port = await closedPort();
      const silent = clientFor(port, { logger: false });
      await rejectionOf(silent.connect());
      await silent.close();
      expect(global.lines).toEqual([]);

      client = clientFor(port);
      await rejectionOf(client.connect());
      expect(global.lines).toHaveLength(1);
      expect(global.lines[0]).toMatchObject({ level: 'warn', params: ['TTStreamClient'] });
      expect(global.lines[0]!.message).toMatch(
        new RegExp(`^Connection to 127\\.0\\.0\\.1:${port} failed: `),
      );
    } finally {
      Logger.overrideLogger(false);
    }
  });
});
