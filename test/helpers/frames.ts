import type { FrameInit } from '../../lib/protocol/frame.js';
import { FrameType } from '../../lib/protocol/frame-type.js';
import { encodeApplicationExceptionMessage } from '../../lib/thrift/application-exception.js';
import { SERVICE } from './echo-service.js';

const encoder = new TextEncoder();

/** A client HEADER opening `method` of `service` on `streamId`. */
export function headerFrame(
  streamId: number,
  method: string,
  extra: Record<string, string> = {},
  service = SERVICE,
): FrameInit {
  return {
    type: FrameType.Header,
    streamId,
    method,
    strHeaders: new Map([['isn', service], ...Object.entries(extra)]),
  };
}

/** A DATA frame with a UTF-8 string payload (or raw bytes). */
export function dataFrame(
  streamId: number,
  method: string,
  payload: string | Uint8Array,
): FrameInit {
  return {
    type: FrameType.Data,
    streamId,
    method,
    payload: typeof payload === 'string' ? encoder.encode(payload) : payload,
  };
}

/** A TRAILER, empty unless keys or a payload are given. */
export function trailerFrame(
  streamId: number,
  method: string,
  keys: Record<string, string> = {},
  payload?: Uint8Array,
): FrameInit {
  return {
    type: FrameType.Trailer,
    streamId,
    method,
    strHeaders: new Map(Object.entries(keys)),
    payload,
  };
}

/** An RST carrying a TApplicationException (or no payload when `typeId` is undefined). */
export function rstFrame(
  streamId: number,
  method: string,
  typeId?: number,
  message = '',
  keys: Record<string, string> = {},
): FrameInit {
  return {
    type: FrameType.Rst,
    streamId,
    method,
    strHeaders: new Map(Object.entries(keys)),
    payload:
      typeId === undefined
        ? undefined
        : encodeApplicationExceptionMessage({ method, seqId: streamId, typeId, message }),
  };
}

/** A TApplicationException message payload. */
export function exceptionBytes(
  method: string,
  streamId: number,
  typeId: number,
  message: string,
): Uint8Array {
  return encodeApplicationExceptionMessage({ method, seqId: streamId, typeId, message });
}

/** Deterministic pseudo-random bytes that never form a TTHeader magic. */
export function garbage(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[4] = 0x47; // not 0x10: never a valid magic
  return out;
}
