// Issue 11, item 0: one long server stream from an async generator must hold the heap flat.
// Heap is measured inside the generator (after a full GC) at a checkpoint early in the stream
// and again near its end; a per-message leak of even 20 bytes shows as tens of megabytes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Subject } from 'rxjs';
import { StreamPattern, type TTStreamClient } from '../../lib/index.js';
import { writeResult } from '../../lib/server/write-result.js';
import { clientFor, request, type ServerApp, startServerApp } from '../integration/nest/harness.js';
import { getGc, settleHeap } from './scale-support.js';

const MB = 1024 * 1024;

/** Takes heap readings at the given message indexes, from inside a generator. */
function heapProbe(at: readonly number[]) {
  const gc = getGc();
  const readings: number[] = [];
  return {
    readings,
    async check(index: number): Promise<void> {
      if (at.includes(index)) readings.push(await settleHeap(gc));
    },
  };
}

describe('S-6: a long async-generator stream keeps the heap flat', () => {
  it('writeResult over 1,000,000 messages (transport-free)', async () => {
    const total = 1_000_000;
    const probe = heapProbe([100_000, total - 1]);
    async function* messages() {
      for (let index = 0; index < total; index++) {
        await probe.check(index);
        yield { index };
      }
    }
    let written = 0;
    const sink = {
      signal: new AbortController().signal,
      send: () => {
        written++;
        return Promise.resolve();
      },
      reset: () => undefined,
    };
    await writeResult(messages(), sink);
    expect(written).toBe(total);
    const [early, late] = probe.readings as [number, number];
    expect((late - early) / MB).toBeLessThan(12);
  }, 120_000);

  describe('through a Nest server and client', () => {
    const total = 500_000;
    const probe = heapProbe([100_000, total - 1]);

    @Controller()
    class LongStream {
      @StreamPattern('TestService.EchoServer')
      async *echoServer(@Payload() req: { message: string; count: number }) {
        for (let index = 0; index < req.count; index++) {
          await probe.check(index);
          yield { message: req.message, index };
        }
      }
    }

    let app: ServerApp;
    let client: TTStreamClient;
    beforeAll(async () => {
      app = await startServerApp({ controllers: [LongStream] }, { logger: false });
      client = clientFor(app.port);
    });
    afterAll(async () => {
      await client.close();
      await app.app.close();
    });

    it(`streams ${total} messages with the heap flat`, async () => {
      let received = 0;
      let lastIndex = -1;
      const done = new Subject<void>();
      client
        .serverStream<object, { index: number }>('TestService.EchoServer', request('m', total))
        .subscribe({
          next: (res) => {
            received++;
            lastIndex = res.index;
          },
          error: (error: unknown) => {
            done.error(error);
          },
          complete: () => {
            done.complete();
          },
        });
      await new Promise<void>((resolve, reject) => {
        done.subscribe({ error: reject, complete: resolve });
      });
      expect(received).toBe(total);
      expect(lastIndex).toBe(total - 1);
      const [early, late] = probe.readings as [number, number];
      expect((late - early) / MB).toBeLessThan(12);
    }, 180_000);
  });
});
