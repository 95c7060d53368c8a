import { AsyncLocalStorage } from 'node:async_hooks';

/** A client stream that follows a parent server stream's cancellation. */
export interface CascadeChild {
  /** The parent was cancelled (or its handler returned) with `reason`. */
  cascadeCancel(reason: unknown): void;
}

/** A server stream seen as the parent of client streams opened while serving it. */
export interface CascadeParent {
  readonly signal: AbortSignal;
  addChild(child: CascadeChild): void;
  removeChild(child: CascadeChild): void;
}

/**
 * The server stream whose handler is running. The server runs each handler inside
 * `streamScope.run(stream, ...)`; `openStream` on a client reads it, so a downstream call made by
 * a handler is cancelled with it without manual plumbing.
 */
export const streamScope = new AsyncLocalStorage<CascadeParent>();

let clientCreated = false;

/**
 * Records that this process has a client (a `TTStreamClientTransport` or a Nest
 * `TTStreamClient`): from then on, servers with the default `cascade` run their handlers in
 * {@link streamScope}. Before that no handler could call downstream, so the scope (which on
 * Node 20 puts a promise hook on every promise of the process) would cost without a use.
 */
export function noteClientCreated(): void {
  clientCreated = true;
}

/** Whether handlers should run in {@link streamScope}: `cascade` when set, else "a client exists". */
export function shouldCascade(cascade: boolean | undefined): boolean {
  return cascade ?? clientCreated;
}

/** The server stream being served in the current async context, if any. */
export function currentParentStream(): CascadeParent | undefined {
  return streamScope.getStore();
}
