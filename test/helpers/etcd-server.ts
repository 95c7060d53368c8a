/**
 * A real `etcd` (Debian's `etcd-server` package, installed by .ci/run) on 127.0.0.1 random
 * ports with a temporary data dir: started, health-checked, stopped (and restarted on the same
 * ports, with or without its data, for the "etcd went away" tests). Every wait is bounded.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One etcd process and how to reach it. */
export interface EtcdServer {
  /** `127.0.0.1:<client port>`, for the resolver/registry `endpoints` and for Go's `-etcd`. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly dataDir: string;
  /** Stops etcd (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Starts etcd again on the same ports; `wipe` starts from an empty data dir (data loss). */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** Stops etcd and removes the data dir. */
  dispose(): Promise<void>;
}

/** True when an `etcd` binary is on PATH. */
export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function healthy(clientPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${clientPort}/health`, {
      signal: AbortSignal.timeout(1000),
    });
    const body = (await response.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

/** Starts etcd and waits (at most `timeoutMs`) until `/health` says true. */
export async function startEtcd(timeoutMs = 20_000): Promise<EtcdServer> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'ttstream-etcd-'));
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    output = '';
    const proc = spawn(
      'etcd',
      [
        '--name=ttstream-test',
        `--data-dir=${join(dataDir, 'member-data')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=ttstream-test=${peer}`,
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    const keep = (chunk: Buffer): void => {
      if (output.length < 100_000) output += chunk.toString('utf8');
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    const start = Date.now();
    while (!(await healthy(clientPort))) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}): ${output}`);
      }
      if (Date.now() - start > timeoutMs) {
        proc.kill('SIGKILL');
        throw new Error(`etcd not healthy within ${timeoutMs} ms: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        resolve();
      });
    });
    proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    clientPort,
    dataDir,
    stop,
    async restart(options = {}) {
      await stop();
      if (options.wipe === true)
        rmSync(join(dataDir, 'member-data'), { recursive: true, force: true });
      await launch();
    },
    async dispose() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
