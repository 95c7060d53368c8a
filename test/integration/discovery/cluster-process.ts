// Starts test/integration/discovery/cluster-app.ts (compiled) as a real process tree: a
// node:cluster primary and its workers, all serving one port.
import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawnLogged, waitForLine } from '../../helpers/sample-process.js';

/** A started cluster: the primary's process, the shared port and the workers' pids. */
export interface ClusterApp {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly workerPids: readonly number[];
  /** Resolves with the primary's exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything the primary and its workers wrote so far (the last 1 MB). */
  output(): string;
  /** SIGKILLs whatever still runs (the primary and every worker). */
  kill(): Promise<void>;
}

/** Spawns the primary and waits (bounded) until every worker listens on the shared port. */
export async function startClusterApp(
  entry: string,
  env: Record<string, string>,
): Promise<ClusterApp> {
  const { child, exited, output } = spawnLogged([entry], { ...env, TTSTREAM_PORT: '0' });
  const killAll = async (pids: readonly number[]): Promise<void> => {
    for (const pid of [child.pid, ...pids]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (child.exitCode === null && child.signalCode === null) await exited;
  };
  try {
    const died = exited.then((code) => {
      throw new Error(`the primary exited (${String(code)}) before its workers listened`);
    });
    const [, port, pids] = await Promise.race([
      waitForLine(child, /cluster listening on 127\.0\.0\.1:(\d+) workers ([\d,]+)/),
      died,
    ]);
    const workerPids = (pids ?? '').split(',').map(Number);
    return {
      child,
      port: Number(port),
      workerPids,
      exited,
      output,
      kill: () => killAll(workerPids),
    };
  } catch (error) {
    await killAll([]);
    throw new Error(`${String(error)}\noutput:\n${output()}`, { cause: error });
  }
}
