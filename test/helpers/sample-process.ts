// The sample server (`npm run sample:server`) as a real child process, for the tests that need a
// separate process: signals, exit codes, RSS, hostile peers that must not share our event loop.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = process.cwd();

/**
 * Compiles sample/server/main.ts and what it imports into `outDir`, with the settings `npm run`
 * uses (tsconfig.run.json), and returns the path of the compiled entry point.
 */
export function buildSampleServer(outDir: string): string {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(ROOT, 'tsconfig.run.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (config === undefined) throw new Error('cannot read tsconfig.run.json');
  const program = ts.createProgram([resolve(ROOT, 'sample/server/main.ts')], {
    ...config.options,
    outDir,
  });
  const result = program.emit();
  if (result.emitSkipped) throw new Error('could not compile sample/server/main.ts');
  return join(outDir, 'sample', 'server', 'main.js');
}

/** Resolves with the first stdout line matching `pattern` (bounded by `ms`). */
export function waitForLine(
  child: ChildProcessWithoutNullStreams,
  pattern: RegExp,
  ms = 30_000,
): Promise<RegExpMatchArray> {
  return new Promise<RegExpMatchArray>((resolveLine, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.stdout.off('data', onData);
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

/** A started sample server process. */
export interface SampleProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything the process wrote so far, stdout and stderr interleaved (the last 1 MB). */
  output(): string;
}

/**
 * Spawns the compiled sample server on 127.0.0.1 and a free port (extra `env` on top of ours) and
 * waits for its "listening on" line. Its output is drained continuously (a full pipe would block
 * the server) and kept for {@link SampleProcess.output}.
 */
export async function startSampleProcess(
  entry: string,
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<SampleProcess> {
  const { child, exited, output } = spawnLogged([...nodeArgs, entry], {
    ...env,
    TTSTREAM_HOST: '127.0.0.1',
    TTSTREAM_PORT: '0',
  });
  try {
    const [, port] = await waitForLine(child, /listening on 127\.0\.0\.1:(\d+)/);
    return { child, port: Number(port), exited, output };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\nstderr and stdout:\n${output()}`, { cause: error });
  }
}

/** A node process whose output is drained (a full pipe would block it) and kept. */
export interface LoggedProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything the process wrote so far, stdout and stderr interleaved (the last 1 MB). */
  readonly output: () => string;
}

/** Spawns `node <args>` with `env` on top of this process's environment. */
export function spawnLogged(args: readonly string[], env: Record<string, string>): LoggedProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env } });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      resolveExit(code);
    });
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log += chunk.toString();
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { child, exited, output: () => log };
}
