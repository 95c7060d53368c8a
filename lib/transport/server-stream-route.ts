import { HEADER_IDL_SERVICE_NAME } from '../protocol/header-keys.js';
import type { MessageCodec } from '../thrift/message-codec.js';

/** The IDL `streaming.mode` of a method. */
export type StreamMode = 'bidirectional' | 'client' | 'server';

/**
 * What the server knows about the method a stream was routed to: built once per registered
 * method and shared by its streams (per-stream copies cost memory on idle streams).
 * @internal not covered by semver
 */
export interface ServerStreamRoute<Req, Res> {
  readonly service: string;
  readonly method: string;
  readonly mode: StreamMode;
  readonly requestCodec: MessageCodec<Req>;
  readonly responseCodec: MessageCodec<Res>;
  /** Turns a received payload (undefined at EOF) into `recv()`'s result. */
  readonly toResult: (payload: Uint8Array | undefined) => IteratorResult<Req, undefined>;
  /** The request headers of a stream that sent only `isn` = this service (the common case). */
  readonly isnOnlyHeaders: ReadonlyMap<string, string>;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/** The shared {@link ServerStreamRoute} of one method. @internal not covered by semver */
export function serverStreamRoute<Req, Res>(
  service: string,
  method: string,
  mode: StreamMode,
  requestCodec: MessageCodec<Req>,
  responseCodec: MessageCodec<Res>,
): ServerStreamRoute<Req, Res> {
  return {
    service,
    method,
    mode,
    requestCodec,
    responseCodec,
    toResult: (payload) =>
      payload === undefined ? DONE : { done: false, value: requestCodec.decode(payload) },
    isnOnlyHeaders: new Map([[HEADER_IDL_SERVICE_NAME, service]]),
  };
}

/**
 * The route's shared map when `headers` holds only `isn` = the route's service, else `headers`.
 * A decoded one-entry Map costs ~290 B (table, key and value strings) on every idle stream.
 * @internal not covered by semver
 */
export function sharedHeaders(
  headers: ReadonlyMap<string, string>,
  route: ServerStreamRoute<unknown, unknown>,
): ReadonlyMap<string, string> {
  if (headers.size === 1 && headers.get(HEADER_IDL_SERVICE_NAME) === route.service) {
    return route.isnOnlyHeaders;
  }
  return headers;
}
