import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RecvBuffer } from '../../../lib/transport/recv-buffer.js';
import {
  CLIENT_TRANSITIONS,
  SERVER_TRANSITIONS,
  StreamState,
  StreamStateMachine,
  type ClientStreamEvent,
  type ServerStreamEvent,
} from '../../../lib/transport/stream-state.js';

const clientEvents: ClientStreamEvent[] = [
  'send',
  'closeSend',
  'recvHeader',
  'recvData',
  'recvTrailer',
  'recvRst',
  'cancel',
  'timeout',
  'connectionClosed',
];
const serverEvents: ServerStreamEvent[] = [
  'send',
  'recvData',
  'recvTrailer',
  'recvRst',
  'handlerReturn',
  'deadline',
  'connectionClosed',
];

describe('state machine properties', () => {
  it('client: INACTIVE is final, send only while ACTIVE, states never go back', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...clientEvents), { maxLength: 30 }), (events) => {
        const machine = new StreamStateMachine(CLIENT_TRANSITIONS);
        let sawInactive = false;
        for (const event of events) {
          const before = machine.state;
          const canSend = machine.can('send');
          expect(canSend).toBe(before === StreamState.Active);
          const previous = machine.apply(event);
          if (sawInactive) expect(previous).toBeUndefined();
          expect(machine.state).toBeGreaterThanOrEqual(before);
          if (machine.isInactive) sawInactive = true;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('server: data is accepted only while ACTIVE; INACTIVE is final', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...serverEvents), { maxLength: 30 }), (events) => {
        const machine = new StreamStateMachine(SERVER_TRANSITIONS);
        for (const event of events) {
          const before = machine.state;
          expect(machine.can('recvData')).toBe(before === StreamState.Active);
          machine.apply(event);
          if (before === StreamState.Inactive) expect(machine.state).toBe(StreamState.Inactive);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

type Op = { kind: 'push'; value: number } | { kind: 'next' } | { kind: 'end'; error: boolean };

describe('RecvBuffer properties', () => {
  it('delivers accepted payloads in order, all before the end, then the same end forever', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('next' as const) }),
      fc.record({ kind: fc.constant('end' as const), error: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        async (ops: Op[], max) => {
          const buffer = new RecvBuffer({ maxMessages: max });
          const accepted: number[] = [];
          const reads: Promise<Uint8Array | undefined>[] = [];
          let ended = false;
          const endError = new Error('end');
          for (const o of ops) {
            if (o.kind === 'push') {
              const ok = buffer.push(Uint8Array.of(o.value));
              if (ok && !ended) accepted.push(o.value);
            } else if (o.kind === 'next') {
              reads.push(buffer.next());
            } else if (!ended) {
              ended = true;
              buffer.end(o.error ? endError : undefined);
            }
          }
          if (!ended) buffer.end();
          for (let i = 0; i < 3; i++) reads.push(buffer.next());
          const results = await Promise.allSettled(reads);
          const values: number[] = [];
          let finished = false;
          for (const r of results) {
            if (r.status === 'fulfilled' && r.value !== undefined) {
              expect(finished).toBe(false); // no data after the end
              values.push(r.value[0]!);
            } else {
              finished = true;
              if (r.status === 'rejected') expect(r.reason).toBe(endError);
            }
          }
          expect(values).toEqual(accepted.slice(0, values.length));
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});
