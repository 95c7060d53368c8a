/** Something to notify when a shared signal aborts. */
export interface AbortSubscriber {
  onSignalAbort(): void;
}

interface Fanout {
  readonly subscribers: Set<AbortSubscriber>;
  readonly listener: () => void;
}

/** One 'abort' listener and its subscribers per signal that has at least one subscriber. */
const fanouts = new WeakMap<AbortSignal, Fanout>();

/**
 * Subscribes to `signal` with one 'abort' listener per signal, however many streams share it:
 * a listener per stream makes Node warn (MaxListenersExceededWarning) past 10 streams.
 * @internal not covered by semver
 */
export function subscribeAbort(signal: AbortSignal, subscriber: AbortSubscriber): void {
  let fanout = fanouts.get(signal);
  if (fanout === undefined) {
    const subscribers = new Set<AbortSubscriber>();
    const listener = (): void => {
      fanouts.delete(signal);
      for (const s of [...subscribers]) s.onSignalAbort();
    };
    fanout = { subscribers, listener };
    fanouts.set(signal, fanout);
    signal.addEventListener('abort', listener, { once: true });
  }
  fanout.subscribers.add(subscriber);
}

/** Forgets `subscriber`; the signal's listener is removed with its last subscriber. */
export function unsubscribeAbort(signal: AbortSignal, subscriber: AbortSubscriber): void {
  const fanout = fanouts.get(signal);
  if (fanout === undefined || !fanout.subscribers.delete(subscriber)) return;
  if (fanout.subscribers.size > 0) return;
  fanouts.delete(signal);
  signal.removeEventListener('abort', fanout.listener);
}
