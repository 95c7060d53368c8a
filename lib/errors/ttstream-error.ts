import { RpcException } from '@nestjs/microservices';
import {
  errorCodeCategory,
  errorCodeText,
  type TTStreamErrorCategory,
  type TTStreamErrorCode,
} from './error-code.js';

/** Which end of a stream raised an error, as Kitex tags it. */
export type StreamSide = 'client' | 'server';

/** Everything but the kind needed to build a {@link TTStreamError}. */
export interface TTStreamErrorOptions {
  /** The code shown in the message. Defaults to `kind`; an RST adopts the peer's type id here. */
  readonly code?: number;
  /** `client` or `server` adds `[client-side stream] ` / `[server-side stream] `. */
  readonly side?: StreamSide;
  /** Services that cancelled, originator first; shown as `[canceled path: A -> B] `. */
  readonly canceledPath?: readonly string[];
  /** Text shown after the tags. Defaults to Kitex's text for `kind`. */
  readonly detail?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** True when the error was decoded from a peer's frame, false when raised locally. */
  readonly remote?: boolean;
}

/**
 * A TTHeader Streaming failure with Kitex's code and message format:
 * `[ttstream error, code=N] [client-side stream] [canceled path: A -> B] text`.
 *
 * Subclasses Nest's `RpcException` and returns itself from `getError()`, so Nest's default
 * exception filter rethrows it unchanged instead of flattening it into a plain object.
 */
export class TTStreamError extends RpcException {
  /** The Kitex error this is (12001-12015): decides `category` and the default text. */
  readonly kind: TTStreamErrorCode;
  /** The code shown in the message: `kind`, or the peer's type id for a received RST. */
  readonly code: number;
  /** Which end raised it, when known. */
  readonly side: StreamSide | undefined;
  /** The cancel path, originator first, when one was set (possibly empty names). */
  readonly canceledPath: readonly string[] | undefined;
  /** The text after the tags (Kitex's `Message()`). */
  readonly detail: string;
  /** True when decoded from the peer's frame. */
  readonly remote: boolean;

  constructor(kind: TTStreamErrorCode, options: TTStreamErrorOptions = {}) {
    const detail = options.detail ?? errorCodeText(kind);
    const code = options.code ?? kind;
    super(formatTTStreamMessage(code, options.side, options.canceledPath, detail));
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.side = options.side;
    this.canceledPath = options.canceledPath;
    this.detail = detail;
    this.remote = options.remote ?? false;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', {
        value: options.cause,
        writable: true,
        configurable: true,
      });
    }
  }

  /** `protocol`, `canceled`, `timeout` or `application`, from {@link kind}. */
  get category(): TTStreamErrorCategory {
    return errorCodeCategory(this.kind);
  }

  /** The cancel path as it travels in the `ttscp` key (`A,B`), or undefined. */
  get canceledPathValue(): string | undefined {
    return this.canceledPath?.join(',');
  }

  /** Returns the error itself, so Nest's RPC exception filter passes it through intact. */
  override getError(): this {
    return this;
  }
}

/**
 * Kitex's `Exception.Error()` layout. Exported for tests and for code that must match Kitex logs.
 */
export function formatTTStreamMessage(
  code: number,
  side: StreamSide | undefined,
  canceledPath: readonly string[] | undefined,
  detail: string,
): string {
  let text = `[ttstream error, code=${code}] `;
  if (side !== undefined)
    text += side === 'client' ? '[client-side stream] ' : '[server-side stream] ';
  if (canceledPath !== undefined) text += `[canceled path: ${canceledPath.join(' -> ')}] `;
  return text + detail;
}

/** True for a {@link TTStreamError} of the given kind (or any kind when omitted). */
export function isTTStreamError(error: unknown, kind?: TTStreamErrorCode): error is TTStreamError {
  return error instanceof TTStreamError && (kind === undefined || error.kind === kind);
}
