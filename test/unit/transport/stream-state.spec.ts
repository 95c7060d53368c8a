import { describe, expect, it } from '@jest/globals';
import {
  CLIENT_TRANSITIONS,
  SERVER_TRANSITIONS,
  StreamState,
  StreamStateMachine,
  nextState,
  type ClientStreamEvent,
  type ServerStreamEvent,
} from '../../../lib/transport/stream-state.js';

const { Active: A, HalfCloseLocal: HCL, HalfCloseRemote: HCR, Inactive: I } = StreamState;

// Spec 3.4: client stream transitions. `undefined` = refused.
const clientCases: [StreamState, ClientStreamEvent, StreamState | undefined][] = [
  [A, 'send', A],
  [A, 'closeSend', HCL],
  [A, 'recvHeader', A],
  [A, 'recvData', A],
  [A, 'recvTrailer', I],
  [A, 'recvRst', I],
  [A, 'cancel', I],
  [A, 'timeout', I],
  [A, 'connectionClosed', I],
  [HCL, 'send', undefined],
  [HCL, 'closeSend', HCL],
  [HCL, 'recvData', HCL],
  [HCL, 'recvTrailer', I],
  [HCL, 'recvRst', I],
  [HCL, 'cancel', I],
  [HCL, 'timeout', I],
  [HCL, 'connectionClosed', I],
  [I, 'send', undefined],
  [I, 'closeSend', undefined],
  [I, 'recvData', undefined],
  [I, 'recvTrailer', undefined],
  [I, 'cancel', undefined],
];

// Spec 3.5: server stream transitions.
const serverCases: [StreamState, ServerStreamEvent, StreamState | undefined][] = [
  [A, 'send', A],
  [A, 'recvData', A],
  [A, 'recvTrailer', HCR],
  [A, 'recvRst', I],
  [A, 'handlerReturn', I],
  [A, 'deadline', I],
  [A, 'connectionClosed', I],
  [HCR, 'send', HCR],
  [HCR, 'recvData', undefined],
  [HCR, 'recvTrailer', undefined],
  [HCR, 'recvRst', I],
  [HCR, 'handlerReturn', I],
  [HCR, 'connectionClosed', I],
  [I, 'send', undefined],
  [I, 'recvData', undefined],
  [I, 'recvRst', undefined],
  [I, 'handlerReturn', undefined],
];

describe('stream state tables', () => {
  it.each(clientCases)('client %i --%s--> %s', (from, event, to) => {
    expect(nextState(CLIENT_TRANSITIONS, from, event)).toBe(to);
  });

  it.each(serverCases)('server %i --%s--> %s', (from, event, to) => {
    expect(nextState(SERVER_TRANSITIONS, from, event)).toBe(to);
  });

  it('a client never reaches HALF_CLOSE_REMOTE and a server never HALF_CLOSE_LOCAL', () => {
    for (const next of Object.values(CLIENT_TRANSITIONS).flatMap((row) => Object.values(row))) {
      expect(next).not.toBe(HCR);
    }
    for (const next of Object.values(SERVER_TRANSITIONS).flatMap((row) => Object.values(row))) {
      expect(next).not.toBe(HCL);
    }
  });
});

describe('StreamStateMachine', () => {
  it('applies allowed events, returns the previous state, refuses others', () => {
    const machine = new StreamStateMachine(CLIENT_TRANSITIONS);
    expect(machine.state).toBe(A);
    expect(machine.apply('closeSend')).toBe(A);
    expect(machine.state).toBe(HCL);
    expect(machine.can('send')).toBe(false);
    expect(machine.apply('send')).toBeUndefined();
    expect(machine.state).toBe(HCL);
    expect(machine.apply('recvTrailer')).toBe(HCL);
    expect(machine.isInactive).toBe(true);
    expect(machine.apply('cancel')).toBeUndefined();
  });
});
