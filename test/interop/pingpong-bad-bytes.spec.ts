/**
 * Good requests followed by bad bytes in one TCP write, against the Kitex (Go) server and the
 * Nest sample server: both must answer the requests before the bad bytes, in order, and then
 * close the connection (Kitex reads a connection's requests one after another, so its read only
 * fails once it reaches the bad bytes). Fact recorded as D33 in test/fixtures/kitex/README.md.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PingPongShape } from '../../lib/protocol/pingpong-shape.js';
import { startEchoServer, type EchoServer } from '../../sample/server/create-echo-server.js';
import {
  encodeRequest,
  parseReply,
  PingPongPeer,
  reqArgs,
  type ParsedReply,
} from '../helpers/pingpong-peer.js';
import { startKitexServer, type KitexServer } from './support/peer.js';

let kitex: KitexServer;
let nest: EchoServer;

beforeAll(async () => {
  [kitex, nest] = await Promise.all([
    startKitexServer(),
    startEchoServer({ host: '127.0.0.1', port: 0 }, false),
  ]);
});

afterAll(async () => {
  await Promise.all([kitex.stop(), nest.app.close()]);
});

const BAD_BYTES = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');

/** Writes two EchoUnary requests and the bad bytes in one write; the replies until the close. */
async function goodThenBad(port: number, shape: PingPongShape): Promise<ParsedReply[]> {
  const peer = await PingPongPeer.connect(port);
  try {
    const request = (seqId: number) =>
      encodeRequest({ shape, name: 'EchoUnary', seqId, args: reqArgs(`m${seqId}`, seqId) });
    peer.sendBytes(Buffer.concat([request(1), request(2), BAD_BYTES]));
    await peer.waitClosed();
    return peer.replies.map(parseReply);
  } finally {
    await peer.close();
  }
}

describe('ping-pong: requests before bad bytes in the same write', () => {
  it.each(['framed', 'ttheader'] as const)(
    '%s: Kitex and the Nest server answer both, in order, then close',
    async (shape) => {
      const fromKitex = await goodThenBad(kitex.port, shape);
      const fromNest = await goodThenBad(nest.port, shape);
      const summary = (replies: ParsedReply[]) =>
        replies.map((r) => ({ seqId: r.seqId, result: r.result }));
      expect(summary(fromKitex)).toEqual([
        { seqId: 1, result: { success: { message: 'm1', index: 1 } } },
        { seqId: 2, result: { success: { message: 'm2', index: 2 } } },
      ]);
      expect(summary(fromNest)).toEqual(summary(fromKitex));
    },
  );
});
