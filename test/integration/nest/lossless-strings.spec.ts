// Issue 11 item 4: bytes that are not UTF-8 in a Thrift string field cross our client and our
// server (the sample's bidirectional Echo) unchanged.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { firstValueFrom, toArray } from 'rxjs';
import { decodeUtf8, encodeUtf8 } from '../../../lib/protocol/utf8.js';
import { type TTStreamClient } from '../../../lib/index.js';
import { EchoController } from '../../../sample/server/echo.controller.js';
import { clientFor, request, type ServerApp, startServerApp } from './harness.js';

describe('arbitrary bytes in string fields round-trip through our client and server', () => {
  let app: ServerApp;
  let client: TTStreamClient;
  beforeAll(async () => {
    app = await startServerApp({ controllers: [EchoController] }, { logger: false });
    client = clientFor(app.port);
  });
  afterAll(async () => {
    await client.close();
    await app.app.close();
  });

  const echo = async (messages: string[]) =>
    firstValueFrom(
      client
        .bidiStream<ReturnType<typeof request>, { message: string }>(
          'TestService.Echo',
          messages.map((m) => request(m)),
        )
        .pipe(toArray()),
    );

  it('the bytes of the issue (6f6bfffec328eda080656e64)', async () => {
    const bytes = Uint8Array.from(Buffer.from('6f6bfffec328eda080656e64', 'hex'));
    const [reply] = await echo([decodeUtf8(bytes, 0, bytes.length)]);
    expect(Buffer.from(encodeUtf8(reply!.message)).toString('hex')).toBe(
      '6f6bfffec328eda080656e64',
    );
  });

  it('any bytes (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 8 }),
        async (all) => {
          const replies = await echo(all.map((b) => decodeUtf8(b, 0, b.length)));
          expect(replies.map((r) => Buffer.from(encodeUtf8(r.message)).toString('hex'))).toEqual(
            all.map((b) => Buffer.from(b).toString('hex')),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
