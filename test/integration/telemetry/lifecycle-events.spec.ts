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

  /** Streams 3 EchoServer messages from a server whose only plug-in is `recorder`. */
  async function streamThrough(recorder: Recorder): Promise<void> {
    const app = await startServerApp({ controllers: [EchoController] }, { telemetry: recorder });
    apps.push(app);
    const client = clientFor(app.port, { telemetry: false });
    clients.push(client);
    const got = await lastValueFrom(
      client.serverStream('TestService.EchoServer', request('m', 3)).pipe(toArray()),
    );
    expect(got).toHaveLength(3);
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
});
