// The load of the fleet fault tests: unary EchoUnary calls and EchoServer streams, each worker
// making one call after another through a TTStreamClient that finds the instances in etcd, with
// every call recorded (start, end, outcome, the instance a stream ran on). Bounded: workers stop
// on `stop()` or after `maxMs`, and every call has a deadline.
import { firstValueFrom, lastValueFrom, tap, toArray } from 'rxjs';
import type { TTStreamClient } from '../../lib/index.js';
import type { Request, Response } from '../../sample/generated/echo.js';

/** One call and how it ended (`endedAt` undefined while it runs). */
export interface CallRecord {
  readonly kind: 'unary' | 'stream';
  readonly startedAt: number;
  endedAt: number | undefined;
  ok: boolean | undefined;
  error: unknown;
  /** The instance that served a stream (its `x-instance` HEADER), once the header came. */
  instance: string | undefined;
  /** Responses received (streams). */
  messages: number;
}

/** How much load, and how long each call may take. */
export interface FleetLoadOptions {
  readonly unaryWorkers: number;
  readonly streamWorkers: number;
  /** Messages per stream (the instance paces them with FLEET_STREAM_INTERVAL_MS). */
  readonly streamMessages: number;
  /** Pause between two unary calls of one worker, so the 2-core machine keeps some room. */
  readonly unaryPauseMs: number;
  /** Deadline of each call: long, so that a hang shows up as a late failure, not a pass. */
  readonly callTimeoutMs: number;
  /** The workers stop by themselves after this. */
  readonly maxMs: number;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Unary and streaming workers over one client, recording every call. */
export class FleetLoad {
  readonly records: CallRecord[] = [];
  private stopped = false;
  private workers: Promise<void>[] = [];
  private seq = 0;

  constructor(
    private readonly client: TTStreamClient,
    private readonly options: FleetLoadOptions,
  ) {}

  /** Starts the workers. */
  start(): void {
    const until = Date.now() + this.options.maxMs;
    for (let i = 0; i < this.options.unaryWorkers; i++) this.workers.push(this.unaryLoop(until));
    for (let i = 0; i < this.options.streamWorkers; i++) this.workers.push(this.streamLoop(until));
  }

  /** Stops starting calls and waits for the calls in flight to end (each has a deadline). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
  }

  /** Calls of `kind` that match `where`. */
  select(kind: CallRecord['kind'], where: (r: CallRecord) => boolean = () => true): CallRecord[] {
    return this.records.filter((r) => r.kind === kind && where(r));
  }

  /** Streams on `instance` that started and have received at least one message, still running. */
  runningStreamsOn(instance: string): CallRecord[] {
    return this.select(
      'stream',
      (r) => r.instance === instance && r.endedAt === undefined && r.messages > 0,
    );
  }

  private async unaryLoop(until: number): Promise<void> {
    while (!this.stopped && Date.now() < until) {
      const count = this.seq++;
      const record = this.begin('unary');
      try {
        const req: Request = { message: 'fleet', userId: 1n, count };
        const res = await firstValueFrom(
          this.client.send<Response>('TestService.EchoUnary', req, {
            timeoutMs: this.options.callTimeoutMs,
          }),
        );
        if (res.index !== count) throw new Error(`call ${count} got the reply of ${res.index}`);
        this.end(record, undefined);
      } catch (error) {
        this.end(record, error);
      }
      await sleep(this.options.unaryPauseMs);
    }
  }

  private async streamLoop(until: number): Promise<void> {
    const expected = this.options.streamMessages;
    while (!this.stopped && Date.now() < until) {
      const record = this.begin('stream');
      try {
        const req: Request = { message: 'stream', userId: 1n, count: expected };
        const responses = this.client.serverStream<Request, Response>(
          'TestService.EchoServer',
          req,
          {
            timeoutMs: this.options.callTimeoutMs,
            onHeader: (headers) => {
              record.instance = headers['x-instance'];
            },
          },
        );
        const all = await lastValueFrom(
          responses.pipe(
            tap(() => {
              record.messages++;
            }),
            toArray(),
          ),
        );
        if (all.length !== expected || all.some((r, i) => r.index !== i)) {
          throw new Error(`stream got ${all.length} of ${expected} messages, or out of order`);
        }
        this.end(record, undefined);
      } catch (error) {
        this.end(record, error);
      }
    }
  }

  private begin(kind: CallRecord['kind']): CallRecord {
    const record: CallRecord = {
      kind,
      startedAt: Date.now(),
      endedAt: undefined,
      ok: undefined,
      error: undefined,
      instance: undefined,
      messages: 0,
    };
    this.records.push(record);
    return record;
  }

  private end(record: CallRecord, error: unknown): void {
    record.endedAt = Date.now();
    record.ok = error === undefined;
    record.error = error;
  }
}
