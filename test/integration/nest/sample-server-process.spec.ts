import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import { TTStreamClientTransport } from '../../../lib/transport/index.js';
import {
  buildSampleServer,
  startSampleProcess,
  waitForLine,
} from '../../helpers/sample-process.js';

// `npm run sample:server` as a real process: it serves until SIGTERM, then lets the in-flight
// stream finish (graceful shutdown) and exits 0.
const OUT_DIR = resolve(process.cwd(), '.tmp', 'sample-server-process');

describe('npm run sample:server (a real process)', () => {
  let entry: string;

  beforeAll(() => {
    entry = buildSampleServer(OUT_DIR);
  }, 120_000);

  afterAll(() => {
    rmSync(OUT_DIR, { recursive: true, force: true });
  });

  it('serves TestService, and on SIGTERM finishes the in-flight stream and exits 0', async () => {
    const { child, port, exited } = await startSampleProcess(entry);
    let transport: TTStreamClientTransport | undefined;
    try {
      transport = new TTStreamClientTransport({ host: '127.0.0.1', port }, { poolSize: 1 });
      const echo = loadThriftIdl('sample/idl/echo.thrift')
        .services.get('TestService')
        ?.methods.get('Echo');
      if (echo?.mode !== 'bidirectional') throw new Error('Echo missing from the IDL');
      const stream = transport.openStream({
        service: 'TestService',
        method: 'Echo',
        requestCodec: echo.requestCodec,
        responseCodec: echo.responseCodec,
      });
      await stream.send({ message: 'before', userId: 1n, count: 0 });
      expect((await stream.recv()).value).toEqual({ message: 'before', index: 0 });

      // Shut down while the stream is open: it may still finish within the grace period.
      const closing = waitForLine(child, /SIGTERM: closing/);
      child.kill('SIGTERM');
      await closing;
      await stream.send({ message: 'after', userId: 1n, count: 0 });
      await stream.closeSend();
      expect((await stream.recv()).value).toEqual({ message: 'after', index: 1 });
      expect((await stream.recv()).done).toBe(true);
      expect((await stream.trailer()).get('x-sent')).toBe('2');

      expect(await exited).toBe(0);
    } finally {
      await transport?.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
