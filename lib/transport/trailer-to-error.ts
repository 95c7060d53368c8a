import {
  ApplicationException,
  BizStatusError,
  TTStreamError,
  TTStreamErrorCode,
  type StreamSide,
} from '../errors/index.js';
import type { Frame } from '../protocol/frame.js';
import {
  HEADER_BIZ_EXTRA,
  HEADER_BIZ_MESSAGE,
  HEADER_BIZ_STATUS,
  HEADER_CANCEL_PATH,
} from '../protocol/header-keys.js';
import { decodeApplicationExceptionMessage } from '../thrift/application-exception.js';
import { debug } from './debug.js';

/** Type id and message Kitex assumes for an RST without a usable payload. */
export const RST_DEFAULT_TYPE_ID = 13;
const RST_DEFAULT_MESSAGE = 'rst';

/**
 * The outcome a TRAILER carries: an {@link ApplicationException} (12001) for
 * an exception payload (12004 when it cannot be decoded), a {@link BizStatusError} for a non-zero
 * int32 `biz-status` (12003 for a bad `biz-extra`), or undefined for a normal end. The payload
 * wins over biz keys.
 */
export function errorFromTrailer(frame: Frame, side: StreamSide): Error | undefined {
  if (frame.payload.length > 0) {
    try {
      const ex = decodeApplicationExceptionMessage(frame.payload);
      return new ApplicationException(ex.typeId, ex.message, { side, remote: true });
    } catch (error) {
      return new TTStreamError(TTStreamErrorCode.IllegalFrame, {
        side,
        remote: true,
        detail: `undecodable exception payload in trailer: ${describe(error)}`,
        cause: error,
      });
    }
  }
  return bizErrorFromHeaders(frame.strHeaders, side);
}

/** Kitex `ParseBizStatusErr`: a missing, zero or non-int32 `biz-status` means success. */
export function bizErrorFromHeaders(
  headers: ReadonlyMap<string, string>,
  side: StreamSide,
): Error | undefined {
  const status = headers.get(HEADER_BIZ_STATUS);
  if (status === undefined) return undefined;
  const code = parseInt32(status);
  if (code === undefined || code === 0) {
    if (code === undefined) debug('ignoring unparsable biz-status %j', status);
    return undefined;
  }
  const message = headers.get(HEADER_BIZ_MESSAGE) ?? '';
  const extraText = headers.get(HEADER_BIZ_EXTRA);
  let extra: Record<string, string> | undefined;
  if (extraText !== undefined && extraText !== '') {
    extra = parseExtra(extraText);
    if (extra === undefined) {
      return new TTStreamError(TTStreamErrorCode.IllegalBizError, {
        side,
        remote: true,
        detail: `illegal bizErr: biz-extra is not a JSON object of strings: ${extraText.slice(0, 200)}`,
      });
    }
  }
  return new BizStatusError(code, message, extra);
}

/**
 * The error an RST carries: kind 12009 on a client (canceled by downstream) or 12010 on a server
 * (canceled by upstream), with the peer's type id as the code, its message, and the `ttscp` path.
 */
export function errorFromRst(frame: Frame, side: StreamSide): TTStreamError {
  let typeId = RST_DEFAULT_TYPE_ID;
  let message = RST_DEFAULT_MESSAGE;
  if (frame.payload.length > 0) {
    try {
      const ex = decodeApplicationExceptionMessage(frame.payload);
      typeId = ex.typeId;
      message = ex.message;
    } catch (error) {
      debug('undecodable RST payload on stream %d: %s', frame.streamId, describe(error));
    }
  }
  const path = frame.strHeaders.get(HEADER_CANCEL_PATH);
  return new TTStreamError(
    side === 'client'
      ? TTStreamErrorCode.CanceledByDownstream
      : TTStreamErrorCode.CanceledByUpstream,
    {
      code: typeId,
      side,
      remote: true,
      detail: message,
      canceledPath: path === undefined || path === '' ? undefined : path.split(','),
    },
  );
}

/** Go `strconv.ParseInt(s, 10, 32)`. */
function parseInt32(text: string): number | undefined {
  if (!/^[+-]?\d{1,11}$/.test(text)) return undefined;
  const value = Number(text);
  if (value < -0x80000000 || value > 0x7fffffff) return undefined;
  return value === 0 ? 0 : value;
}

function parseExtra(text: string): Record<string, string> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') return undefined;
    out[key] = item;
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
