import type { PingPongShape } from './pingpong-shape.js';

/** One decoded ping-pong message: its framing and headers, and the Thrift message it carries. */
export interface PingPongMessage {
  /** How it was framed; a reply goes back in the same shape. */
  readonly shape: PingPongShape;
  /** The TTHeader SEQ field (a signed int32); undefined for `framed` and `buffered`. */
  readonly headerSeqId: number | undefined;
  /** TTHeader int-key pairs, all of them (1, 3, 9, 12, 22...); empty for `framed`/`buffered`. */
  readonly intHeaders: ReadonlyMap<number, string>;
  /**
   * TTHeader string-key pairs (`isn`, metainfo, `biz-*`, `crrst`...), decoded like ttstream
   * headers: bytes that are not UTF-8 are kept as U+DC80-U+DCFF. Empty for `framed`/`buffered`.
   */
  readonly strHeaders: ReadonlyMap<string, string>;
  /** The whole Thrift message (envelope and struct), without framing. */
  readonly message: Uint8Array;
}
