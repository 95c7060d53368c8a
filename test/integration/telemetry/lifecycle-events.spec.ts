/**
 * The lifecycle events a plug-in of its own hears through the `telemetry` option, without
 * OpenTelemetry: header and trailer events reach an observer that does not ask for messages,
 * and per-message events only one that does.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import {
  type RpcObserver,
  type RpcStart,
  type TTStreamClient,
  type TTStreamTelemetry,
} from '../../../lib/index.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import { waitFor } from '../../helpers/wait.js';
import { clientFor, request, type ServerApp, startServerApp } from '../nest/harness.js';

/** Records the events of every RPC; asks for messages only when `messages` is set. */
class Recorder implements TTStreamTelemetry {
  readonly events: string[] = [];

  constructor(private readonly messages: boolean) {}

  start(event: RpcStart): RpcObserver {
    const log = (text: string): void => {
      this.events.push(`${event.side}:${text}`);
    };
    const observer: RpcObserver = {
      header: (headers) => {
        log(`header ${Object.keys(headers).sort().join(',')}`);
      },
      trailer: (trailers) => {
        if ('x-sent' in trailers) log(`trailer x-sent=${trailers['x-sent'] ?? ''}`);
      },
      end: (outcome, stats) => {
        log(`end ${outcome.kind} sent=${stats.sentMessages} received=${stats.receivedMessages}`);
      },
    };
    if (this.messages) {
      observer.message = (direction) => {
        log(direction);
      };
    }
    return observer;
  }
}

describe('lifecycle events of a plug-in of ours (no OpenTelemetry)', () => {
  const apps: ServerApp[] = [];
  const clients: TTStreamClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(apps.map((a) => a.app.close()));
  });

  /**
   * Streams `count` EchoServer messages of `text` from a server whose only plug-in is
   * `recorder`, its writer full at `writeHighWaterMark` bytes.
   */
  async function streamThrough(
    recorder: Recorder,
    { count = 3, text = 'm', writeHighWaterMark = 256 * 1024 } = {},
  ): Promise<void> {
    const app = await startServerApp(
      { controllers: [EchoController] },
      { telemetry: recorder, transportOptions: { writeHighWaterMark } },
    );
    apps.push(app);
    const client = clientFor(app.port, { telemetry: false });
    clients.push(client);
    const got = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request(text, count)).pipe(toArray()),
    );
    expect(got).toHaveLength(count);
    await waitFor(() => recorder.events.some((e) => e.startsWith('server:end')), 'the end');
  }

  it('hears the trailer and the counts without asking for messages', async () => {
    const quiet = new Recorder(false);
    await streamThrough(quiet);
    // The sample's handler sets x-sent twice: before it starts and once it has sent.
    expect(quiet.events).toEqual([
      'server:trailer x-sent=0',
      'server:trailer x-sent=3',
      'server:end ok sent=3 received=1',
    ]);
  });

  it('hears each message when it asks', async () => {
    const chatty = new Recorder(true);
    await streamThrough(chatty);
    expect(chatty.events.filter((e) => e === 'server:sent')).toHaveLength(3);
    expect(chatty.events.filter((e) => e === 'server:received')).toHaveLength(1);
    expect(chatty.events).toContain('server:trailer x-sent=3');
  });

  it('hears each message once also when sends wait for a full writer', async () => {
    // 2,000 messages of 1 KB through a 16 KiB writer: most sends wait, and are heard once written.
    const chatty = new Recorder(true);
    await streamThrough(chatty, {
      count: 2000,
      text: 'x'.repeat(1000),
      writeHighWaterMark: 16 * 1024,
    });
    expect(chatty.events.filter((e) => e === 'server:sent')).toHaveLength(2000);
    expect(chatty.events).toContain('server:end ok sent=2000 received=1');
  });
});
