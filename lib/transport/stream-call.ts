import type { Metainfo } from '../protocol/metainfo.js';
import type { MessageCodec } from '../thrift/message-codec.js';
import type { CascadeParent } from './stream-scope.js';

/** A streaming method as the client calls it. */
export interface StreamCall<Req, Res> {
  /** The IDL service name, sent as `isn`. */
  readonly service: string;
  /** The IDL method name. */
  readonly method: string;
  readonly requestCodec: MessageCodec<Req>;
  readonly responseCodec: MessageCodec<Res>;
}

/** Per-stream options of `TTStreamClientTransport.openStream`. */
export interface OpenStreamOptions {
  /** Extra string headers of the opening HEADER frame. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Metainfo, sent as `RPC_TRANSIT_<k>` / `RPC_PERSIST_<k>`. */
  readonly metainfo?: Partial<Metainfo>;
  /** Whole-stream deadline: 12015 and an RST when it passes; also sent as int key 12. */
  readonly timeoutMs?: number;
  /** Longest wait of one receive: 12014 (and an RST unless `disableCancelRemote`). */
  readonly recvTimeoutMs?: number;
  /** On a receive timeout, fail only that receive: no RST, the stream stays open. Default false. */
  readonly disableCancelRemote?: boolean;
  /** Aborting it cancels the stream (12007; 12015 for `AbortSignal.timeout`). */
  readonly signal?: AbortSignal;
  /**
   * The server stream this call is made for (cascading cancel). Default: the stream whose handler
   * is running (AsyncLocalStorage); `null` disables cascading.
   */
  readonly parent?: CascadeParent | null;
}
