import { TTStreamErrorCode } from './error-code.js';
import { TTStreamError, type StreamSide } from './ttstream-error.js';

/**
 * Thrift `TApplicationException` type ids, with the two Kitex adds (20, 21).
 * Kitex: `pkg/remote/trans_errors.go`.
 */
export const TApplicationExceptionType = {
  Unknown: 0,
  UnknownMethod: 1,
  InvalidMessageType: 2,
  WrongMethodName: 3,
  BadSequenceId: 4,
  MissingResult: 5,
  InternalError: 6,
  ProtocolError: 7,
  InvalidTransform: 8,
  InvalidProtocol: 9,
  UnsupportedClientType: 10,
  UnknownService: 20,
  NoServiceName: 21,
} as const;

/** A named TApplicationException type id. Peers may send other int32 values too. */
export type TApplicationExceptionType =
  (typeof TApplicationExceptionType)[keyof typeof TApplicationExceptionType];

/** Options for {@link ApplicationException}. */
export interface ApplicationExceptionOptions {
  /** Which side raised it; a client that decodes a trailer sets `client`. */
  readonly side?: StreamSide;
  /** True when decoded from the peer's trailer. */
  readonly remote?: boolean;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * A Thrift TApplicationException carried in a trailer: code 12001 plus the peer's type id and
 * message. A client receives one when a server handler fails with a non-business error
 * (`[ttstream error, code=12001] [client-side stream] biz error: test error`); a handler may
 * throw one to choose the type id the peer sees.
 */
export class ApplicationException extends TTStreamError {
  /** The TApplicationException type id (for instance 6, InternalError). */
  readonly typeId: number;
  /** The TApplicationException message, as the peer wrote it. */
  readonly applicationMessage: string;

  constructor(typeId: number, message: string, options: ApplicationExceptionOptions = {}) {
    super(TTStreamErrorCode.ApplicationException, {
      detail: message,
      side: options.side,
      remote: options.remote,
      cause: options.cause,
    });
    this.typeId = typeId;
    this.applicationMessage = message;
  }
}
