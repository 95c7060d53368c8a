/**
 * The transport id of {@link TTStreamServer}: `@StreamPattern` handlers are tagged with it, so
 * they are bound to our server only, and untagged handlers of other transports are not bound to
 * ours.
 */
export const TTSTREAM_TRANSPORT: unique symbol = Symbol.for('nestjs-ttstream');

/**
 * Reflect metadata key under which `@StreamPattern` stores its {@link StreamPatternMetadata}, for
 * guards and interceptors (`reflector.get(TTSTREAM_METHOD_METADATA, ctx.getHandler())`).
 */
export const TTSTREAM_METHOD_METADATA = 'ttstream:method';

/** How a method streams, as the IDL's `streaming.mode` names it. */
export type StreamMode = 'bidirectional' | 'client' | 'server' | 'unary';

/** What `@StreamPattern` records about a handler. */
export interface StreamPatternMetadata {
  /** `Service.Method`, as in the IDL. */
  readonly pattern: string;
  /** The IDL service name. */
  readonly service: string;
  /** The IDL method name. */
  readonly method: string;
  /** The mode asked for explicitly; undefined means "whatever the IDL says". */
  readonly mode: StreamMode | undefined;
}
