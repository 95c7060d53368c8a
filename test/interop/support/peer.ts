/**
 * Drives the Kitex (Go) reference peer of test/interop/kitex-peer: the server (its `LISTENING`
 * line and its JSON event log), the scenario client (its JSON verdict lines) and the recording
 * tap (its JSON frame lines). Every wait is bounded; every process is killed by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** Where `test/interop/build-peer.sh` puts the binaries. */
export const PEER_BIN = resolve('test/interop/kitex-peer/bin');

/** `host:port`. */
export type HostPort = string;

/** One line of the Go server's event log (test/interop/README.md, "Server stdout"). */
export interface KitexServerEvent {
  /** `stream_start`, `stream_end` or `shutdown`. */
  readonly event: string;
  readonly method?: string;
  readonly t_ms: number;
  readonly duration_ms?: number;
  readonly sent?: number;
  readonly recv?: number;
  readonly recv_err?: string;
  readonly send_err?: string;
  readonly err?: string;
  readonly ctx_err?: string;
  readonly observed?: string;
  readonly canceled?: boolean;
  readonly ctx_err_is_canceled?: boolean;
  readonly ctx_err_is_timeout?: boolean;
  readonly ctx_err_code?: number;
  readonly downstream_err?: string;
}

/** The error part of a verdict (see the README for the meaning of each field). */
export interface VerdictError {
  readonly text: string;
  readonly go_type: string;
  readonly code: number | null;
  readonly is_canceled: boolean;
  readonly is_timeout: boolean;
  readonly is_protocol: boolean;
  readonly is_eof: boolean;
  readonly biz: { code: number; message: string; extra: Record<string, string> | null } | null;
  readonly app_exception: { type_id: number; message: string } | null;
  readonly at_ms: number;
  readonly from: string;
  readonly call_ms: number;
}

/** A response as the Go client records it. */
export interface VerdictMsg {
  readonly message: string;
  readonly index: number;
}

/** One JSON verdict line of the Go client. */
export interface Verdict {
  readonly scenario: string;
  readonly method: string;
  readonly pool: string;
  readonly service_name: string;
  readonly ok: boolean;
  readonly expect: string;
  readonly problems: string[];
  readonly sent: VerdictMsg[];
  readonly received: VerdictMsg[];
  readonly header: Record<string, string> | null;
  readonly header_err: VerdictError | null;
  readonly trailer: Record<string, string> | null;
  readonly trailer_err: VerdictError | null;
  readonly error: VerdictError | null;
  readonly extra?: Record<string, unknown>;
  readonly start_unix_ms: number;
  readonly elapsed_ms: number;
  readonly cancel_at_ms?: number;
  readonly cancel_unix_ms?: number;
}

/** One frame line of the tap (or an open/close/raw event). */
export interface TapRecord {
  /** `open`, `close` or `raw` for non-frame records; absent on frames. */
  readonly event?: string;
  readonly conn: number;
  readonly dir?: 'c2s' | 's2c';
  readonly seq?: number;
  readonly t_ms?: number;
  readonly len?: number;
  readonly hex?: string;
  readonly sid?: number;
  readonly type?: string;
  /** `HEADER`, `DATA`, `TRAILER`, `RST` or `META`. */
  readonly type_name?: string;
  readonly method?: string;
  readonly int?: Record<string, string>;
  readonly str?: Record<string, string>;
  readonly payload_len?: number;
  readonly decode_err?: string;
}

/** Kills `child` (SIGTERM, then SIGKILL after `graceMs`) and waits for its exit. */
async function killProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => {
    child.once('exit', () => {
      done();
    });
  });
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((done) => {
    timer = setTimeout(() => {
      done('late');
    }, graceMs);
  });
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

/** Spawns `bin` and resolves with the address of its `LISTENING <addr>` line. */
function spawnListening(
  bin: string,
  args: readonly string[],
  onLine: (line: string) => void,
  timeoutMs = 15_000,
): Promise<{ child: ChildProcess; address: HostPort; stderr: () => string }> {
  const path = join(PEER_BIN, bin);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run test/interop/build-peer.sh (npm run test:interop)`);
  }
  const child = spawn(path, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 1_000_000) stderr += chunk;
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${bin} did not print LISTENING within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${bin} exited early (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^LISTENING (\S+)$/.exec(line);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        done({ child, address: m[1], stderr: () => stderr });
        return;
      }
      onLine(line);
    });
  });
}

/** A running Kitex TestService server. */
export interface KitexServer {
  readonly address: HostPort;
  readonly host: string;
  readonly port: number;
  /** Every JSON event line so far, in order. */
  readonly events: KitexServerEvent[];
  /** The server's stderr so far (Kitex's own error log). */
  stderr(): string;
  /** Resolves with the first event (from index `from`) that matches, or rejects after `timeoutMs`. */
  waitForEvent(
    match: (e: KitexServerEvent) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<KitexServerEvent>;
  /** SIGTERM and wait for the exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts `bin/server -addr 127.0.0.1:0` with `args` (for instance `-forward-to <C>
 * -service-name B`). Shutdown waits are shortened so that `stop()` takes well under a second.
 */
export async function startKitexServer(args: readonly string[] = []): Promise<KitexServer> {
  const events: KitexServerEvent[] = [];
  const waiters = new Set<() => void>();
  const { child, address, stderr } = await spawnListening(
    'server',
    ['-addr', '127.0.0.1:0', '-exit-wait', '100ms', '-drain-log', '200ms', ...args],
    (line) => {
      if (!line.startsWith('{')) return;
      try {
        events.push(JSON.parse(line) as KitexServerEvent);
      } catch {
        return;
      }
      for (const w of [...waiters]) w();
    },
  );
  const [host, portText] = splitHostPort(address);
  return {
    address,
    host,
    port: Number(portText),
    events,
    stderr,
    waitForEvent(match, timeoutMs = 10_000, from = 0) {
      return new Promise((done, fail) => {
        const check = (): boolean => {
          const found = events.slice(from).find(match);
          if (found === undefined) return false;
          waiters.delete(onEvent);
          clearTimeout(timer);
          done(found);
          return true;
        };
        const onEvent = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(onEvent);
          fail(
            new Error(
              `no matching Kitex server event within ${timeoutMs} ms; events: ${JSON.stringify(events.slice(from))}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(onEvent);
      });
    },
    stop: () => killProcess(child, 5000),
  };
}

/** Flags of `bin/client` (names without the dash; `true` for a bare boolean flag). */
export type ClientFlags = Readonly<Record<string, string | number | boolean>>;

/** What one run of the Go client produced. */
export interface ClientRun {
  readonly verdicts: Verdict[];
  /** Exit code (0 all ok, 1 some verdict not ok, 2 usage, 3 guard). */
  readonly code: number | null;
  readonly stderr: string;
  /** Non-JSON stdout lines. */
  readonly other: string[];
}

/**
 * Runs `bin/client -addr <addr> <flags>` to its end (killed after `timeoutMs`) and parses its
 * verdict lines.
 */
export async function runKitexClient(
  addr: HostPort,
  flags: ClientFlags,
  timeoutMs = 60_000,
): Promise<ClientRun> {
  const args = ['-addr', addr];
  for (const [k, v] of Object.entries(flags)) {
    args.push(v === true ? `-${k}` : `-${k}=${String(v)}`);
  }
  const path = join(PEER_BIN, 'client');
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run test/interop/build-peer.sh (npm run test:interop)`);
  }
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 1_000_000) stderr += chunk;
  });
  const state = { killed: false };
  const timer = setTimeout(() => {
    state.killed = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((done) => {
    child.once('close', (exitCode) => {
      done(exitCode);
    });
  });
  clearTimeout(timer);
  if (state.killed)
    throw new Error(`client ${args.join(' ')} killed after ${timeoutMs} ms: ${stderr}`);
  const verdicts: Verdict[] = [];
  const other: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('{')) verdicts.push(JSON.parse(line) as Verdict);
    else other.push(line);
  }
  return { verdicts, code, stderr, other };
}

/** Runs one scenario and returns its verdict (fails when the client printed none). */
export async function runScenario(
  addr: HostPort,
  scenario: string,
  flags: ClientFlags = {},
  timeoutMs = 60_000,
): Promise<Verdict> {
  const run = await runKitexClient(addr, { 'service-name': 'A', ...flags, scenario }, timeoutMs);
  const verdict = run.verdicts.find((v) => v.scenario === scenario);
  if (verdict === undefined) {
    throw new Error(`no verdict for ${scenario} (exit ${run.code}): ${run.stderr}`);
  }
  return verdict;
}

/** A running recording proxy. */
export interface Tap {
  readonly address: HostPort;
  /** Every record written so far (the file is re-read on each call). */
  records(): TapRecord[];
  /** Frame records only (no open/close/raw events). */
  frames(): TapRecord[];
  /** Stops the tap and removes its output file. */
  stop(): Promise<void>;
}

/** Starts `bin/tap` in front of `target`. */
export async function startTap(target: HostPort): Promise<Tap> {
  const dir = mkdtempSync(join(tmpdir(), 'ttstream-tap-'));
  const out = join(dir, 'frames.jsonl');
  const { child, address } = await spawnListening(
    'tap',
    ['-listen', '127.0.0.1:0', '-target', target, '-out', out, '-max-life', '5m'],
    () => undefined,
  );
  const records = (): TapRecord[] => {
    if (!existsSync(out)) return [];
    const parsed: TapRecord[] = [];
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as TapRecord);
      } catch {
        // a line being written right now
      }
    }
    return parsed;
  };
  return {
    address,
    records,
    frames: () => records().filter((r) => r.event === undefined),
    async stop() {
      await killProcess(child, 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` every 10 ms until true, or rejects after `timeoutMs`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

/** A plain delay. */
export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** `127.0.0.1:41234` -> [`127.0.0.1`, `41234`]. */
export function splitHostPort(address: HostPort): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), address.slice(at + 1)];
}

/** One span as Go's `stdouttrace` exporter writes it (`-otel-stdout <file>`, one JSON line each). */
export interface GoSpan {
  readonly Name: string;
  /** `trace.SpanKind`: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly SpanKind: number;
  readonly SpanContext: { readonly TraceID: string; readonly SpanID: string };
  /** The zero span id (`0000000000000000`) for a root span; `Remote` for an extracted parent. */
  readonly Parent: { readonly TraceID: string; readonly SpanID: string; readonly Remote: boolean };
  readonly Attributes:
    | readonly {
        readonly Key: string;
        readonly Value: { readonly Type: string; readonly Value: unknown };
      }[]
    | null;
  readonly Events: readonly { readonly Name: string }[] | null;
  readonly Status: { readonly Code: string; readonly Description: string };
  readonly Resource:
    readonly { readonly Key: string; readonly Value: { readonly Value: unknown } }[] | null;
}

/** Go's span kinds in `GoSpan.SpanKind`. */
export const GO_SPAN_KIND = { server: 2, client: 3 } as const;

/**
 * The spans written so far to an `-otel-stdout` file (a missing file or a line being written
 * right now is skipped).
 */
export function readGoSpans(path: string): GoSpan[] {
  if (!existsSync(path)) return [];
  const spans: GoSpan[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      spans.push(JSON.parse(line) as GoSpan);
    } catch {
      // incomplete last line
    }
  }
  return spans;
}

/** A Go span's attributes as a plain object (`int64` values as numbers). */
export function goSpanAttributes(span: GoSpan): Record<string, unknown> {
  return Object.fromEntries((span.Attributes ?? []).map((a) => [a.Key, a.Value.Value]));
}

/** A fresh temporary directory for span files; remove it with `rmSync(dir, { recursive: true })`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
