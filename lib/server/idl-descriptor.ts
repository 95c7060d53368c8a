import { type StreamMode } from '../nest-constants.js';

/**
 * The parts of a loaded IDL (`loadThriftIdl`) the Nest layer reads: services, their methods, each
 * method's mode and message codecs.
 */
export interface TTStreamIdlLike {
  readonly services: ReadonlyMap<string, TTStreamServiceLike>;
}

/** One IDL service. */
export interface TTStreamServiceLike {
  readonly name: string;
  readonly methods: ReadonlyMap<string, TTStreamMethodLike>;
}

/** One IDL method. */
export interface TTStreamMethodLike {
  readonly name: string;
  readonly mode: StreamMode;
  readonly requestCodec: unknown;
  readonly responseCodec: unknown;
}

/** The method `service.method` of `idl`, or an Error explaining why there is none. */
export function findIdlMethod(
  idl: TTStreamIdlLike,
  service: string,
  method: string,
): TTStreamMethodLike | Error {
  const svc = idl.services.get(service);
  if (svc === undefined) {
    const known = [...idl.services.keys()].join(', ') || 'none';
    return new Error(`the IDL has no service '${service}' (services: ${known})`);
  }
  const found = svc.methods.get(method);
  if (found === undefined) {
    const known = [...svc.methods.keys()].join(', ') || 'none';
    return new Error(
      `service '${service}' of the IDL has no method '${method}' (methods: ${known})`,
    );
  }
  return found;
}
