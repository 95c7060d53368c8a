import { TTStreamError, TTStreamErrorCode } from '../errors/index.js';
import type { Frame } from '../protocol/frame.js';

/**
 * The error a stream ends with when the peer sent it a frame over `maxFrameBytes`: only that
 * stream is reset (its payload was read past, never buffered); the connection and its other
 * streams go on. @internal not covered by semver
 */
export function oversizeFrameError(
  side: 'client' | 'server',
  frame: Frame,
  maxFrameBytes: number,
): TTStreamError {
  return new TTStreamError(TTStreamErrorCode.IllegalFrame, {
    side,
    detail: `frame of ${frame.oversize ?? 0} bytes exceeds maxFrameBytes ${maxFrameBytes}`,
  });
}
