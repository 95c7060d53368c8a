/**
 * Messages pulled in a row before a pull loop lets the event loop turn. A pull whose writes are
 * accepted at once runs on microtasks only (or synchronously, for a `function*` generator), and
 * would otherwise fill the connection's whole write high-water mark before any other socket is
 * served: ten such streams took the p99 of an unrelated client from 29 to 708 ms.
 * @internal not covered by semver
 */
export const PULLS_PER_TURN = 64;

/** Resolves on the next turn of the event loop (after I/O). @internal */
export const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });
