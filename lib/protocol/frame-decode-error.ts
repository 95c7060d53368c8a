import { TTStreamErrorCode } from '../errors/error-code.js';
import { TTStreamError } from '../errors/ttstream-error.js';
import type { Frame } from './frame.js';

/**
 * Malformed input reached the frame decoder (Kitex `errIllegalFrame`, code 12004). It is fatal
 * for the connection: the decoder that raised it rejects every later chunk with the same error.
 */
export class FrameDecodeError extends TTStreamError {
  /**
   * Frames that the failing `push()` call completed before reaching the bad bytes, so a transport
   * can deliver them (Kitex processes them before it sees the error). Empty on `end()`. A dead
   * decoder rethrows this same object, so deliver them only when the error is first raised.
   */
  readonly framesBefore: readonly Frame[];

  /**
   * @param detail what was wrong, e.g. `bad magic 0x0fff`.
   * @param framesBefore see {@link FrameDecodeError.framesBefore}.
   */
  constructor(detail: string, framesBefore: readonly Frame[] = []) {
    super(TTStreamErrorCode.IllegalFrame, { detail });
    this.framesBefore = framesBefore;
  }
}
