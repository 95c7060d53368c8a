// Issue 11 item 2: default caps on streams per connection, streams per server and connections.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_STREAMS,
} from '../../../lib/transport/index.js';
import { FrameType } from '../../../lib/protocol/frame-type.js';
import { encodeFrame } from '../../../lib/protocol/frame-encoder.js';
import { decodeApplicationExceptionMessage } from '../../../lib/thrift/application-exception.js';
import { headerFrame } from '../../helpers/frames.js';
import { startLoopback, type Loopback } from '../../helpers/loopback.js';
import { HOLD, registerHold, type ProbeRecord } from '../../helpers/probe-service.js';
import { RawPeer } from '../../helpers/raw-peer.js';
import { waitFor } from '../../helpers/wait.js';

describe('server caps', () => {
  let loop: Loopback | undefined;
  const peers: RawPeer[] = [];
  const records: ProbeRecord[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
    await loop?.close();
    loop = undefined;
    records.length = 0;
  });

  async function start(server = {}) {
    loop = await startLoopback(
      (s) => {
        registerHold(s, records);
      },
      { server },
    );
    return loop;
  }

  const refusal = (peer: RawPeer, streamId: number) => {
    const frames = peer.framesOf(streamId);
    expect(frames.map((f) => f.type)).toEqual([FrameType.Header, FrameType.Trailer]);
    return decodeApplicationExceptionMessage(frames[1]!.payload).message;
  };

  it('defaults: 10,000 streams per connection, 50,000 per server, 10,000 connections', () => {
    expect(DEFAULT_MAX_CONCURRENT_STREAMS).toBe(10_000);
    expect(DEFAULT_MAX_STREAMS).toBe(50_000);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(10_000);
  });

  it('the default refuses the 10,001st stream of one connection, and only that one', async () => {
    const { address } = await start();
    const peer = await RawPeer.connect(address.port);
    peers.push(peer);
    const total = DEFAULT_MAX_CONCURRENT_STREAMS + 1;
    const bytes: Uint8Array[] = [];
    for (let i = 0; i < total; i++)
      bytes.push(encodeFrame(headerFrame(1 + 2 * i, HOLD.bidirectional)));
    peer.sendBytes(Buffer.concat(bytes));
    const last = 1 + 2 * (total - 1);
    await waitFor(() => peer.framesOf(last).length === 2, 'the refusal', 20_000);
    expect(refusal(peer, last)).toBe(
      `too many concurrent streams (limit ${DEFAULT_MAX_CONCURRENT_STREAMS})`,
    );
    expect(records).toHaveLength(DEFAULT_MAX_CONCURRENT_STREAMS);
    expect(loop!.server.stats().streams).toBe(DEFAULT_MAX_CONCURRENT_STREAMS);
  }, 60_000);

  it('maxStreams counts the streams of every connection, and frees a place when one ends', async () => {
    const { address } = await start({ maxStreams: 3 });
    const a = await RawPeer.connect(address.port);
    const b = await RawPeer.connect(address.port);
    peers.push(a, b);
    a.send(headerFrame(1, HOLD.bidirectional), headerFrame(3, HOLD.bidirectional));
    b.send(headerFrame(1, HOLD.bidirectional));
    await waitFor(() => records.length === 3, 'three streams');
    b.send(headerFrame(3, HOLD.bidirectional));
    await waitFor(() => b.framesOf(3).length === 2, 'the refusal');
    expect(refusal(b, 3)).toBe('too many concurrent streams on the server (limit 3)');
    // A connection that closes gives its streams' places back.
    await a.close();
    await waitFor(() => loop!.server.stats().streams === 1, 'the closed connection released');
    b.send(headerFrame(5, HOLD.bidirectional));
    await waitFor(() => records.length === 4, 'a new stream after the release');
  });

  it('maxConnections closes the connection over the cap at once, and reports it', async () => {
    const server = await start({ maxConnections: 2 });
    const errors: [Error, string | undefined][] = [];
    server.server.on('error', (error, peer) => errors.push([error, peer]));
    peers.push(
      await RawPeer.connect(server.address.port),
      await RawPeer.connect(server.address.port),
    );
    await waitFor(() => server.server.stats().connections === 2, 'two connections');
    const third: Socket = connect(server.address.port, '127.0.0.1');
    third.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    const closed = await new Promise<boolean>((resolve) => {
      third.on('close', () => {
        resolve(true);
      });
      timer = setTimeout(() => {
        resolve(false);
      }, 3000);
    });
    clearTimeout(timer);
    third.destroy();
    expect(closed).toBe(true);
    await waitFor(() => errors.length === 1, 'the error event');
    expect(errors[0]![0].message).toBe('connection refused: 2 connections open (maxConnections)');
    expect(errors[0]![1]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.server.stats().connections).toBe(2);
  });
});
