import {
  ApplicationException,
  TApplicationExceptionType,
  fromBizStatusError,
  isTTStreamError,
} from '../errors/index.js';
import {
  HEADER_BIZ_EXTRA,
  HEADER_BIZ_MESSAGE,
  HEADER_BIZ_STATUS,
} from '../protocol/header-keys.js';
import { encodeApplicationExceptionMessage } from '../thrift/application-exception.js';
import { describeValue } from './to-error.js';

/** What the end of a server stream puts in its TRAILER besides the user's trailer keys. */
export interface TrailerContent {
  /** `biz-*` keys for a business error; empty otherwise. */
  readonly strHeaders: ReadonlyMap<string, string>;
  /** The TApplicationException message for any other failure; undefined on success or biz error. */
  readonly payload: Uint8Array | undefined;
}

/** Options of {@link trailerFromError}. */
export interface TrailerFromErrorOptions {
  readonly method: string;
  readonly streamId: number;
  /** Send `biz error: internal error` instead of the error's message. Default false. */
  readonly hideErrorMessages?: boolean;
}

const NO_HEADERS: ReadonlyMap<string, string> = new Map();

/**
 * The TRAILER for how a handler ended. `undefined` (success): nothing. Anything
 * `fromBizStatusError` recognises: `biz-status`, `biz-message` and (when extra is defined)
 * compact JSON `biz-extra`, no payload.
 * An {@link ApplicationException}: its type id and message. Another `TTStreamError`: its code and
 * full message, as Kitex does for its Exception. Anything else: type 6 with `biz error: <message>`.
 */
export function trailerFromError(error: unknown, options: TrailerFromErrorOptions): TrailerContent {
  if (error === undefined) return { strHeaders: NO_HEADERS, payload: undefined };
  const biz = fromBizStatusError(error);
  if (biz !== undefined) {
    const headers = new Map<string, string>([
      [HEADER_BIZ_STATUS, String(biz.bizStatusCode)],
      [HEADER_BIZ_MESSAGE, biz.bizMessage],
    ]);
    if (biz.bizExtra !== undefined) headers.set(HEADER_BIZ_EXTRA, JSON.stringify(biz.bizExtra));
    return { strHeaders: headers, payload: undefined };
  }
  let typeId: number;
  let message: string;
  if (error instanceof ApplicationException) {
    typeId = error.typeId;
    message = error.applicationMessage;
  } else if (isTTStreamError(error)) {
    typeId = error.code;
    message = error.message;
  } else {
    typeId = TApplicationExceptionType.InternalError;
    message =
      options.hideErrorMessages === true
        ? 'biz error: internal error'
        : `biz error: ${describeValue(error)}`;
  }
  return { strHeaders: NO_HEADERS, payload: exceptionPayload(options, typeId, message) };
}

/** A TApplicationException message for a TRAILER or RST of the given stream. */
export function exceptionPayload(
  stream: { readonly method: string; readonly streamId: number },
  typeId: number,
  message: string,
): Uint8Array {
  return encodeApplicationExceptionMessage({
    method: stream.method,
    seqId: stream.streamId,
    typeId,
    message,
  });
}
