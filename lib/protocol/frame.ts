/**
 * One TTHeader Streaming frame, as the codec sees it. The frame type (int key 27) and the
 * method (int key 9) are lifted out of the int-key map: `intHeaders` never holds keys 27 or 9.
 */
export interface Frame {
  /** A {@link FrameType} value, or an unknown value passed through by the decoder. */
  readonly type: number;
  /** The TTHeader sequence id: the stream id, a signed int32. */
  readonly streamId: number;
  /** The IDL method name (int key 9, ToMethod); empty when the frame carried none. */
  readonly method: string;
  /** Int-key pairs other than 27 and 9 (for instance 12, RPCTimeout in ms). Values are strings. */
  readonly intHeaders: ReadonlyMap<number, string>;
  /**
   * String-key pairs: `isn`, metainfo (`RPC_TRANSIT_*`, `RPC_PERSIST_*`), `biz-*`, `ttscp` and user
   * keys. The ACL-token info block decodes into `RPC_TRANSIT_gdpr-token`.
   */
  readonly strHeaders: ReadonlyMap<string, string>;
  /** The payload (a Thrift struct for DATA, a TApplicationException message for TRAILER/RST). */
  readonly payload: Uint8Array;
  /**
   * Set only by a decoder that skips oversize payloads: the frame declared this LENGTH, over its
   * `maxFrameBytes`, so its payload was read past and dropped (`payload` is empty). The stream it
   * belongs to should be refused or reset; the connection is fine.
   */
  readonly oversize?: number;
}

/** What the encoder takes: a {@link Frame} whose maps and payload may be omitted. */
export interface FrameInit {
  readonly type: number;
  readonly streamId: number;
  readonly method: string;
  readonly intHeaders?: ReadonlyMap<number, string>;
  readonly strHeaders?: ReadonlyMap<string, string>;
  readonly payload?: Uint8Array;
}
