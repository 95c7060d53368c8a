// One fleet instance (bench/fleet-instance.ts, compiled: the sample TestService, published in etcd
// by our EtcdRegistry) as a separate OS process forked with IPC, for `npm run bench:fleet` and the
// fleet fault tests (test/fleet, compiled by test/fleet/global-setup.ts): start it, ask for its
// counts, stop it politely, SIGTERM it or `kill -9` it. Every wait is bounded.
import { type ChildProcess, fork } from 'node:child_process';
import type { FleetInstanceCommand, FleetInstanceReply } from '../../bench/fleet-instance.js';
import { withTimeout } from './wait.js';

/** Longest wait for one reply of an instance (start, count). */
const REPLY_TIMEOUT_MS = 120_000;

/** How a fleet instance is configured (the variables bench/fleet-instance.ts reads). */
export interface FleetInstanceSettings {
  /** etcd endpoint, `host:port`. */
  readonly etcd: string;
  /** Published as the tag `instance` and sent back as the stream header `x-instance`. */
  readonly name: string;
  /** EtcdRegistry lease TTL in seconds (default: the registry's, 60). */
  readonly leaseTtlSeconds?: number;
  /** EtcdRegistry check and retry interval in ms (default: the registry's, 30 s / 10 s). */
  readonly checkIntervalMs?: number;
  /** Server grace period for in-flight streams on close (default: the server's, 5 s). */
  readonly gracefulShutdownMs?: number;
  /** Pause between deregistering and draining (default 0). */
  readonly drainDelayMs?: number;
  /** Pause before each EchoServer message, so that streams last (default none). */
  readonly streamIntervalMs?: number;
}

/** How an instance process ended. */
export interface FleetInstanceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A forked fleet instance with request/reply over IPC. */
export class FleetInstanceProcess {
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<FleetInstanceExit>;
  private exitInfo: FleetInstanceExit | undefined;
  private readonly listeners = new Set<(reply: FleetInstanceReply) => void>();
  private readonly seen: FleetInstanceReply[] = [];

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
    exited: Promise<FleetInstanceExit>,
  ) {
    this.exited = exited;
    void exited.then((info) => {
      this.exitInfo = info;
    });
  }

  /**
   * Forks `script` (the compiled bench/fleet-instance.js) and waits for its `ready` (it listens and
   * is registered). Output goes to ours (`inherit`) so a failing instance explains itself.
   */
  static async start(
    script: string,
    settings: FleetInstanceSettings,
  ): Promise<FleetInstanceProcess> {
    const env: Record<string, string> = { FLEET_ETCD: settings.etcd, FLEET_NAME: settings.name };
    const optional = {
      FLEET_LEASE_TTL_S: settings.leaseTtlSeconds,
      FLEET_CHECK_MS: settings.checkIntervalMs,
      FLEET_GRACE_MS: settings.gracefulShutdownMs,
      FLEET_DRAIN_DELAY_MS: settings.drainDelayMs,
      FLEET_STREAM_INTERVAL_MS: settings.streamIntervalMs,
    };
    for (const [key, value] of Object.entries(optional)) {
      if (value !== undefined) env[key] = String(value);
    }
    const child = fork(script, [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<FleetInstanceExit>((resolveExit) => {
      child.once('exit', (code, signal) => {
        resolveExit({ code, signal });
      });
    });
    const replies: FleetInstanceReply[] = [];
    const early = (reply: FleetInstanceReply): void => {
      replies.push(reply);
    };
    child.on('message', early);
    try {
      const ready = new Promise<number>((resolveReady, reject) => {
        child.on('message', (reply: FleetInstanceReply) => {
          if (reply.type === 'ready') resolveReady(reply.port);
          if (reply.type === 'error') reject(new Error(`${settings.name}: ${reply.message}`));
        });
        void exited.then((info) => {
          reject(new Error(`${settings.name} exited before ready: ${JSON.stringify(info)}`));
        });
      });
      const port = await withTimeout(ready, `${settings.name} ready`, REPLY_TIMEOUT_MS);
      child.off('message', early);
      const instance = new FleetInstanceProcess(settings.name, port, child, exited);
      instance.seen.push(...replies);
      child.on('message', (reply: FleetInstanceReply) => {
        instance.seen.push(reply);
        for (const listener of instance.listeners) listener(reply);
      });
      return instance;
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  }

  /** The process id (for signals). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Every message the instance sent so far (`ready`, `reregistered`, ...). */
  replies(): readonly FleetInstanceReply[] {
    return this.seen;
  }

  /** EchoUnary calls served so far and the instance's CPU time (µs). */
  count(): Promise<{ count: number; cpuUs: number }> {
    const answer = this.next(
      (r) => (r.type === 'count' ? { count: r.count, cpuUs: r.cpuUs } : undefined),
      'count',
    );
    this.send({ cmd: 'count' });
    return answer;
  }

  /** Sends `signal` to the process (`SIGKILL`: kill -9, `SIGTERM`: a graceful stop). */
  kill(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(signal);
  }

  /** Asks the instance to deregister and close; SIGKILL after `ms` (default 5 s). */
  async stop(ms = 5000): Promise<void> {
    if (this.hasExited) return;
    try {
      this.send({ cmd: 'stop' });
    } catch {
      this.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(timer);
  }

  /** The first reply `pick` returns a value for; an `error` reply or an exit rejects. */
  private next<T>(pick: (reply: FleetInstanceReply) => T | undefined, what: string): Promise<T> {
    if (this.hasExited) return Promise.reject(new Error(`${this.name} has exited`));
    let listener: ((reply: FleetInstanceReply) => void) | undefined;
    const answer = new Promise<T>((resolveAnswer, reject) => {
      listener = (reply): void => {
        if (reply.type === 'error') reject(new Error(`${this.name}: ${reply.message}`));
        const value = pick(reply);
        if (value !== undefined) resolveAnswer(value);
      };
      this.listeners.add(listener);
      void this.exited.then(() => {
        reject(new Error(`${this.name} exited while waiting for ${what}`));
      });
    });
    return withTimeout(answer, `${this.name} ${what}`, REPLY_TIMEOUT_MS).finally(() => {
      if (listener !== undefined) this.listeners.delete(listener);
    });
  }

  private send(command: FleetInstanceCommand): void {
    this.child.send(command);
  }
}
