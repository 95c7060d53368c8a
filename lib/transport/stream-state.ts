/**
 * Stream states and transitions of the client and the server side, as pure tables.
 * Kitex: `stream_client.go`, `stream_server.go` (`streamState*`).
 */
export const StreamState = {
  Active: 0,
  HalfCloseLocal: 1,
  HalfCloseRemote: 2,
  Inactive: 3,
} as const;

/** One of the four stream states. */
export type StreamState = (typeof StreamState)[keyof typeof StreamState];

/** Events that drive a client stream (section 3.4). */
export type ClientStreamEvent =
  | 'send'
  | 'closeSend'
  | 'recvHeader'
  | 'recvData'
  | 'recvTrailer'
  | 'recvRst'
  | 'cancel'
  | 'timeout'
  | 'connectionClosed';

/** Events that drive a server stream (section 3.5). */
export type ServerStreamEvent =
  | 'send'
  | 'recvData'
  | 'recvTrailer'
  | 'recvRst'
  | 'handlerReturn'
  | 'deadline'
  | 'connectionClosed';

/** `undefined`: the event is not allowed in that state; otherwise the next state. */
export type TransitionTable<E extends string> = Readonly<
  Record<StreamState, Readonly<Partial<Record<E, StreamState>>>>
>;

const { Active, HalfCloseLocal, HalfCloseRemote, Inactive } = StreamState;

/** Client: ACTIVE -> HALF_CLOSE_LOCAL -> INACTIVE, ACTIVE -> INACTIVE. */
export const CLIENT_TRANSITIONS: TransitionTable<ClientStreamEvent> = {
  [Active]: {
    send: Active,
    closeSend: HalfCloseLocal,
    recvHeader: Active,
    recvData: Active,
    recvTrailer: Inactive,
    recvRst: Inactive,
    cancel: Inactive,
    timeout: Inactive,
    connectionClosed: Inactive,
  },
  [HalfCloseLocal]: {
    // closeSend again is a no-op (same state); send is refused with 12005.
    closeSend: HalfCloseLocal,
    recvHeader: HalfCloseLocal,
    recvData: HalfCloseLocal,
    recvTrailer: Inactive,
    recvRst: Inactive,
    cancel: Inactive,
    timeout: Inactive,
    connectionClosed: Inactive,
  },
  [HalfCloseRemote]: {},
  [Inactive]: {},
};

/** Server: ACTIVE -> HALF_CLOSE_REMOTE -> INACTIVE, ACTIVE -> INACTIVE. */
export const SERVER_TRANSITIONS: TransitionTable<ServerStreamEvent> = {
  [Active]: {
    send: Active,
    recvData: Active,
    recvTrailer: HalfCloseRemote,
    recvRst: Inactive,
    handlerReturn: Inactive,
    deadline: Inactive,
    connectionClosed: Inactive,
  },
  [HalfCloseRemote]: {
    send: HalfCloseRemote,
    recvRst: Inactive,
    handlerReturn: Inactive,
    deadline: Inactive,
    connectionClosed: Inactive,
  },
  [HalfCloseLocal]: {},
  [Inactive]: {},
};

/** The state after `event`, or undefined when the table does not allow it. */
export function nextState<E extends string>(
  table: TransitionTable<E>,
  state: StreamState,
  event: E,
): StreamState | undefined {
  return table[state][event];
}

/**
 * A small holder around a table: `can(event)` and `apply(event)` (which returns the previous
 * state, or undefined and leaves the state unchanged when the event is not allowed).
 * @internal not covered by semver
 */
export class StreamStateMachine<E extends string> {
  private current: StreamState = StreamState.Active;

  constructor(private readonly table: TransitionTable<E>) {}

  get state(): StreamState {
    return this.current;
  }

  get isInactive(): boolean {
    return this.current === StreamState.Inactive;
  }

  can(event: E): boolean {
    return nextState(this.table, this.current, event) !== undefined;
  }

  apply(event: E): StreamState | undefined {
    const next = nextState(this.table, this.current, event);
    if (next === undefined) return undefined;
    const previous = this.current;
    this.current = next;
    return previous;
  }
}
