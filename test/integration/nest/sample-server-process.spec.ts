import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { loadThriftIdl } from '../../../lib/idl/index.js';
import { TTStreamClientTransport } from '../../../lib/transport/index.js';

// `npm run sample:server` as a real process: it serves until SIGTERM, then lets the in-flight
// stream finish (graceful shutdown) and exits 0.
const ROOT = process.cwd();
const OUT_DIR = resolve(ROOT, '.tmp', 'sample-server-process');

/** Compiles sample/server/main.ts and what it imports, with the settings `npm run` uses. */
function buildSampleServer(): string {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(ROOT, 'tsconfig.run.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (config === undefined) throw new Error('cannot read tsconfig.run.json');
  const program = ts.createProgram([resolve(ROOT, 'sample/server/main.ts')], {
    ...config.options,
    outDir: OUT_DIR,
  });
  const result = program.emit();
  if (result.emitSkipped) throw new Error('could not compile sample/server/main.ts');
  return join(OUT_DIR, 'sample', 'server', 'main.js');
}

/** Resolves with the first stdout line matching `pattern` (bounded by `ms`). */
function waitForLine(child: ChildProcessWithoutNullStreams, pattern: RegExp, ms = 30_000) {
  return new Promise<RegExpMatchArray>((resolveLine, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      reject(new Error(`no line matching ${String(pattern)} in ${ms} ms; got:\n${seen}`));
    }, ms);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolveLine(match);
      }
    };
    child.stdout.on('data', onData);
  });
}

describe('npm run sample:server (a real process)', () => {
  let entry: string;

  beforeAll(() => {
    entry = buildSampleServer();
  }, 120_000);

  afterAll(() => {
    rmSync(OUT_DIR, { recursive: true, force: true });
  });

  it('serves TestService, and on SIGTERM finishes the in-flight stream and exits 0', async () => {
    const child = spawn(process.execPath, [entry], {
      env: { ...process.env, TTSTREAM_HOST: '127.0.0.1', TTSTREAM_PORT: '0' },
    });
    const exited = new Promise<number | null>((resolveExit) => {
      child.once('exit', (code) => {
        resolveExit(code);
      });
    });
    const client = (port: number): TTStreamClientTransport =>
      new TTStreamClientTransport({ host: '127.0.0.1', port }, { poolSize: 1 });
    let transport: TTStreamClientTransport | undefined;
    try {
      const [, port] = await waitForLine(child, /listening on 127\.0\.0\.1:(\d+)/);
      transport = client(Number(port));
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
