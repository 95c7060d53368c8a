import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runEchoClient } from '../../../sample/client/run-echo-client.js';
import { startEchoServer } from '../../../sample/server/create-echo-server.js';

// The transcript `npm start` prints: the sample server and client apps, run in-process.
describe('the npm start demo (sample/)', () => {
  let server: Awaited<ReturnType<typeof startEchoServer>>;
  const lines: string[] = [];

  beforeAll(async () => {
    server = await startEchoServer({ host: '127.0.0.1', port: 0 }, false);
    await runEchoClient(server.host, server.port, (line) => lines.push(line));
  });

  afterAll(async () => {
    await server.app.close();
  });

  /** The lines printed for the call announced by `title`, up to the next announcement. */
  function section(title: string, occurrence = 0): string[] {
    const starts = lines.flatMap((line, i) => (line === title ? [i] : []));
    const start = starts[occurrence];
    if (start === undefined) throw new Error(`no section "${title}" in:\n${lines.join('\n')}`);
    const end = lines.findIndex((line, i) => i > start && !line.startsWith('  '));
    return lines.slice(start + 1, end === -1 ? undefined : end);
  }

  it('streams, then reports each call in the order the server sent it', () => {
    expect(section('EchoServer (server streaming): message "hello", count 3')).toEqual([
      '  header  x-handler=TestService.EchoServer',
      '  <- hello (index 0)',
      '  <- hello (index 1)',
      '  <- hello (index 2)',
      '  trailer x-sent=3',
      '  done: 3 response(s)',
    ]);
    expect(section('EchoClient (client streaming): "a", "b", "c"')).toEqual([
      '  header  x-handler=TestService.EchoClient',
      '  <- a,b,c (index 3)',
      '  trailer x-sent=1',
      '  done: 1 response(s)',
    ]);
  });

  it('prints the streamed tokens, then the business error, then the application exception', () => {
    const balance = section('ServerStreamWithErr: a balance of 3 tokens');
    expect(balance.slice(1, 4)).toEqual([
      '  <- token-0 (index 0)',
      '  <- token-1 (index 1)',
      '  <- token-2 (index 2)',
    ]);
    expect(balance.at(-1)).toBe(
      '  business error: 10001 insufficient user balance {"testKey":"testVal"}',
    );
    expect(section('ServerStreamWithErr: message "test error"')).toContain(
      '  application exception: type 6, message "biz error: test error"',
    );
  });

  it('calls the unary and oneway methods on the same port', () => {
    expect(section('EchoUnary (unary): message "hello", count 7')).toEqual([
      '  header  (none)',
      '  <- hello (index 7)',
      '  done: 1 response(s)',
    ]);
    expect(section('UnaryWithErr (unary): message "declared"')).toEqual([
      '  header  (none)',
      '  declared exception EchoException: code 42, message "declared failure"',
    ]);
    expect(section('UnaryWithErr (unary): count 0')).toEqual([
      '  header  biz-status=10001 biz-message=insufficient user balance biz-extra={"testKey":"testVal"}',
      '  business error: 10001 insufficient user balance {"testKey":"testVal"}',
    ]);
    expect(section('Notify (oneway): "remember me", then EchoUnary "last-notify"')).toEqual([
      '  header  (none)',
      '  <- remember me (index 1)',
      '  done: 1 response(s)',
    ]);
  });
});
