/**
 * `RecvBuffer.readThen`: a reader on callbacks (no promise per message). It is never called back
 * inside the call that registered it or handed it the payload: the readers of a socket chunk's
 * delivery batch run in one microtask once the chunk's frames were all handled (after the
 * promise reactions the chunk settled), elsewhere each in a microtask of its own.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { deliverLater, inDeliveryBatch } from '../../../lib/transport/delivery-batch.js';
import { RecvBuffer } from '../../../lib/transport/recv-buffer.js';

const first = (payload: Uint8Array | undefined): number | 'eof' =>
  payload === undefined ? 'eof' : (payload[0] as number);

/** Registers a reader that records into `log` as `<name>:<value>` or `<name>!<error>`. */
function reader(buffer: RecvBuffer, name: string, log: string[]): void {
  buffer.readThen(
    first,
    (value) => log.push(`${name}:${String(value)}`),
    (error) => log.push(`${name}!${error.message}`),
  );
}

const microtasks = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('RecvBuffer.readThen', () => {
  it('calls waiting readers back after the batch, in arrival order, where promise reactions were', async () => {
    const a = new RecvBuffer();
    const b = new RecvBuffer();
    const log: string[] = [];
    reader(a, 'a', log);
    reader(b, 'b', log);
    const settled = (name: string) => {
      let settle = (): void => undefined;
      void new Promise<void>((resolve) => (settle = resolve)).then(() => log.push(name));
      return settle;
    };
    const header = settled('header');
    const trailer = settled('trailer');
    inDeliveryBatch(() => {
      header();
      b.push(Uint8Array.of(2));
      a.push(Uint8Array.of(1));
      trailer();
      log.push('dispatched');
    }, undefined);
    expect(log).toEqual(['dispatched']);
    await microtasks();
    // Reactions settled before the first delivery run before it, those settled after, after.
    expect(log).toEqual(['dispatched', 'header', 'b:2', 'a:1', 'trailer']);
  });

  it('never calls back synchronously: a queued payload, EOF or error comes in a microtask', async () => {
    const buffer = new RecvBuffer();
    buffer.push(Uint8Array.of(5));
    const log: string[] = [];
    reader(buffer, 'r', log);
    expect(log).toEqual([]);
    await microtasks();
    expect(log).toEqual(['r:5']);

    buffer.end();
    reader(buffer, 'eof', log);
    expect(log).toEqual(['r:5']);
    await microtasks();
    expect(log).toEqual(['r:5', 'eof:eof']);

    const failed = new RecvBuffer();
    failed.end(new Error('reset'));
    reader(failed, 'f', log);
    expect(log).toHaveLength(2);
    await microtasks();
    expect(log).toEqual(['r:5', 'eof:eof', 'f!reset']);
  });

  it('a payload then the end in one batch: the reader re-registers and gets the end in it', async () => {
    const buffer = new RecvBuffer();
    const log: string[] = [];
    buffer.readThen(
      first,
      (value) => {
        log.push(`got:${String(value)}`);
        reader(buffer, 'next', log);
      },
      (error) => log.push(`!${error.message}`),
    );
    inDeliveryBatch(() => {
      buffer.push(Uint8Array.of(3));
      buffer.end(new Error('cancelled'));
    }, undefined);
    expect(log).toEqual([]);
    // One microtask: the end joins the batch as the reader asks for it.
    await Promise.resolve();
    expect(log).toEqual(['got:3', 'next!cancelled']);
  });

  it('ends a waiting reader with the end error, and fails it with what map throws', async () => {
    const buffer = new RecvBuffer();
    const log: string[] = [];
    reader(buffer, 'w', log);
    buffer.end(new Error('connection closed'));
    expect(log).toEqual([]);
    await microtasks();
    expect(log).toEqual(['w!connection closed']);

    const bad = new RecvBuffer();
    bad.readThen(
      () => {
        throw new Error('undecodable');
      },
      () => log.push('value'),
      (error) => log.push(`map!${error.message}`),
    );
    bad.push(Uint8Array.of(1));
    await microtasks();
    expect(log).toEqual(['w!connection closed', 'map!undecodable']);
  });

  it('counts a payload handed to a reader as never held, one queued as held until read', async () => {
    const deltas: number[] = [];
    const buffer = new RecvBuffer({}, (delta) => deltas.push(delta));
    const log: string[] = [];
    reader(buffer, 'direct', log);
    buffer.push(Uint8Array.of(1));
    expect(deltas).toEqual([]);
    buffer.push(Uint8Array.of(2));
    expect(buffer.length).toBe(1);
    reader(buffer, 'queued', log);
    expect(buffer.length).toBe(0);
    expect(deltas.reduce((sum, delta) => sum + delta, 0)).toBe(0);
    await microtasks();
    expect(log).toEqual(['direct:1', 'queued:2']);
  });

  it('a reader that throws does not stop the rest of its batch; the error is thrown after', () => {
    const microtaskQueue: (() => void)[] = [];
    const spy = jest.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      microtaskQueue.push(task);
    });
    const log: string[] = [];
    try {
      inDeliveryBatch(() => {
        deliverLater(() => {
          throw new Error('reader bug');
        });
        deliverLater(() => log.push('second'));
      }, undefined);
      expect(microtaskQueue).toHaveLength(1);
      (microtaskQueue[0] as () => void)();
    } finally {
      spy.mockRestore();
    }
    expect(log).toEqual(['second']);
    // Thrown on its own, outside the socket's handler: an uncaught exception, as a bug is.
    expect(microtaskQueue).toHaveLength(2);
    expect(microtaskQueue[1]).toThrow('reader bug');
  });
});
