// Issue 11 item 9: `docker stop` on `CMD npm run sample:server` sends SIGTERM to npm alone. The
// script execs node, so npm hands the signal to the server itself, which shuts down gracefully;
// before, npm exited and left node serving as an orphan.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from '@jest/globals';

/** True when something accepts a connection on 127.0.0.1:`port`. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

describe('npm run sample:server', () => {
  it('SIGTERM to npm alone stops the server (no orphaned node process)', async () => {
    const npm = spawn('npm', ['run', 'sample:server'], {
      env: { ...process.env, TTSTREAM_HOST: '127.0.0.1', TTSTREAM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => {
          reject(new Error(`the server did not start in 120 s:\n${seen}`));
        }, 120_000);
        npm.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /listening on 127\.0\.0\.1:(\d+)/.exec(seen);
          if (match !== null) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      expect(await accepting(port)).toBe(true);
      const exited = new Promise<number | null>((resolve) => npm.once('exit', resolve));
      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The server was npm's child: with npm gone, nothing may answer on its port.
      let open = true;
      for (let i = 0; i < 50 && open; i++) {
        open = await accepting(port);
        if (open) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(open).toBe(false);
    } finally {
      npm.kill('SIGKILL');
    }
  }, 180_000);
});
