import { type StreamMode } from '../nest-constants.js';
import { type ServerCallHandler } from './server-call.js';

/** One method registered with a {@link ServerBinding}. @internal */
export interface BoundMethod {
  readonly service: string;
  readonly method: string;
  readonly mode: StreamMode;
  readonly requestCodec: unknown;
  readonly responseCodec: unknown;
  readonly handler: ServerCallHandler;
}

/** One unary or oneway method registered with a {@link ServerBinding}. @internal */
export interface BoundUnaryMethod {
  readonly service: string;
  readonly method: string;
  readonly oneway: boolean;
  /** The IDL method (a `UnaryMethodDescriptor` of `lib/thrift`). */
  readonly descriptor: unknown;
  /** Called once per call; resolving after `send(value)` replies with `value`. */
  readonly handler: ServerCallHandler;
}

/** Events a binding reports to the server. @internal */
export interface ServerBindingEvents {
  /** `peer` is the `host:port` of the connection that failed, when one did. */
  error(error: Error, peer?: string): void;
  connection(socket: unknown): void;
}

/**
 * The transport as `TTStreamServer` drives it: register methods, listen, close gracefully.
 * @internal not covered by semver
 */
export interface ServerBinding {
  register(method: BoundMethod): void;
  /** Registers a unary or oneway method; bindings without ping-pong support leave it out. */
  registerUnary?(method: BoundUnaryMethod): void;
  listen(): Promise<void>;
  /** Stops accepting, lets in-flight streams finish within the grace period, then resets them. */
  close(): Promise<void>;
  /** The bound address (`{ address, port }`). */
  address(): { readonly address: string; readonly port: number } | undefined;
  /** The underlying transport object. */
  unwrap(): unknown;
  on<K extends keyof ServerBindingEvents>(event: K, listener: ServerBindingEvents[K]): void;
}
