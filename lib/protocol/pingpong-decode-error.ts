import { FrameDecodeError } from './frame-decode-error.js';
import type { PingPongMessage } from './pingpong-message.js';

/**
 * Malformed input on a ping-pong connection: a {@link FrameDecodeError} (12004) that also
 * carries the messages decoded before the bad bytes, which Kitex would still have served, since
 * it reads a connection's requests one after another.
 */
export class PingPongDecodeError extends FrameDecodeError {
  /**
   * Messages that the failing `push()` call completed before the bad bytes. A dead decoder
   * rethrows this same object, so serve them only when the error is first raised.
   */
  readonly messagesBefore: readonly PingPongMessage[];

  /**
   * @param detail what was wrong.
   * @param messagesBefore see {@link PingPongDecodeError.messagesBefore}.
   */
  constructor(detail: string, messagesBefore: readonly PingPongMessage[] = []) {
    super(detail);
    this.messagesBefore = messagesBefore;
  }
}
