import { type ReadPacket } from '@nestjs/microservices';
import { AsyncSubject, Observable } from 'rxjs';
import { type TTStreamMethodLike } from '../server/idl-descriptor.js';
import { type UnaryMethodDescriptor } from '../thrift/thrift-idl.js';
import { type PingPongCall, type PingPongCallOptions } from '../transport/pingpong-call.js';
import { type TTStreamCallOptions } from './ttstream-call-options.interface.js';

/**
 * A cold Observable of one unary call: subscribing starts it, the reply's value (undefined for
 * a void method) is emitted once, then completion; a failure is the Observable's error.
 * Unsubscribing before the reply cancels the call locally and closes its connection.
 * @internal not covered by semver
 */
export function unaryObservable<Res>(start: () => PingPongCall<Res>): Observable<Res> {
  return new Observable<Res>((subscriber) => {
    const call = start();
    call.result.then(
      (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => {
        subscriber.error(error);
      },
    );
    return () => {
      if (!call.isDone) call.cancel();
    };
  });
}

/**
 * A oneway call started at once, as Nest's `emit()` dispatches events without waiting for a
 * subscriber: the returned Observable emits `undefined` and completes once the request is
 * written, or errors, for any subscriber, early or late. Unsubscribing does not cancel it
 * (use `signal`).
 * @internal not covered by semver
 */
export function onewayObservable(
  start: () => { readonly result: Promise<unknown> },
): Observable<void> {
  const outcome = new AsyncSubject<void>();
  try {
    start().result.then(
      () => {
        outcome.next(undefined);
        outcome.complete();
      },
      (error: unknown) => {
        outcome.error(error);
      },
    );
  } catch (error) {
    outcome.error(error);
  }
  return outcome.asObservable();
}

/** True for a method of IDL mode `unary` declared `oneway`. @internal */
export function isOnewayMethod(method: TTStreamMethodLike): boolean {
  return method.mode === 'unary' && (method as Partial<UnaryMethodDescriptor>).oneway === true;
}

/**
 * `method` as a unary descriptor with its args and result codecs.
 * @throws TypeError when the IDL object lacks them (not loaded with `loadThriftIdl`).
 * @internal
 */
export function unaryDescriptor(
  service: string,
  method: TTStreamMethodLike,
): UnaryMethodDescriptor {
  const unary = method as Partial<UnaryMethodDescriptor>;
  if (method.mode !== 'unary' || unary.argsCodec === undefined || unary.resultCodec === undefined) {
    throw new TypeError(
      `TTStreamClient: ${service}.${method.name} has no args and result codecs (load the IDL with loadThriftIdl)`,
    );
  }
  return method as UnaryMethodDescriptor;
}

/**
 * The transport options of one call: headers of the client, of Nest's dispatch hook
 * (`packet.metadata`) and of the call, in that order of precedence (the call's win).
 * @internal
 */
export function pingPongCallOptions(
  options: TTStreamCallOptions,
  defaults: {
    readonly headers?: Readonly<Record<string, string>>;
    readonly timeoutMs?: number;
  },
  metadata?: Readonly<Record<string, string>>,
): PingPongCallOptions {
  const onHeader = options.onHeader;
  return {
    headers: Object.assign({}, defaults.headers, metadata, options.headers),
    metainfo: options.metainfo,
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
    signal: options.signal,
    onHeader:
      onHeader === undefined
        ? undefined
        : (headers) => {
            onHeader(Object.fromEntries(headers));
          },
  };
}

/**
 * The `packet.metadata` a Nest dispatch hook (`setOnDispatchHook`, Nest 12) sets on the packet of
 * `pattern` and `data`, as headers; undefined without one (Nest 11 has no hook).
 * @internal
 */
export function dispatchMetadata(
  client: object,
  pattern: unknown,
  data: unknown,
): Record<string, string> | undefined {
  const { createPacket } = client as { createPacket?: (p: unknown, d: unknown) => ReadPacket };
  const metadata = createPacket?.call(client, pattern, data).metadata;
  return metadata === undefined ? undefined : { ...metadata };
}
