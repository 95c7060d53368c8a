import { TTStreamErrorCode } from '../errors/error-code.js';
import { TTStreamError } from '../errors/ttstream-error.js';

/**
 * The encoder refused a frame (an oversized header, string or frame, or a bad stream id) and
 * produced no bytes. Kitex maps the same failure to `errIllegalFrame` (12004).
 */
export class FrameEncodeError extends TTStreamError {
  /** @param detail what was wrong, e.g. `header info 65536 bytes exceeds 65532`. */
  constructor(detail: string) {
    super(TTStreamErrorCode.IllegalFrame, { detail });
  }
}
