/**
 * Kitex TTHeader Streaming error codes (`pkg/remote/trans/ttstream/exception.go`).
 * Keys are PascalCase names, values the exact numbers Kitex puts on the wire.
 */
export const TTStreamErrorCode = {
  ApplicationException: 12001,
  UnexpectedHeader: 12002,
  IllegalBizError: 12003,
  IllegalFrame: 12004,
  IllegalOperation: 12005,
  TransportClosing: 12006,
  BizCancel: 12007,
  BizCancelWithCause: 12008,
  CanceledByDownstream: 12009,
  CanceledByUpstream: 12010,
  InternalCancel: 12011,
  CanceledByHandlerReturn: 12012,
  CanceledByConnectionClose: 12013,
  RecvTimeout: 12014,
  StreamTimeout: 12015,
} as const;

/** One of the Kitex ttstream error codes 12001-12015. */
export type TTStreamErrorCode = (typeof TTStreamErrorCode)[keyof typeof TTStreamErrorCode];

/**
 * The parent error Kitex files a code under: `ErrStreamingProtocol`, `ErrStreamingCanceled`,
 * `ErrStreamingTimeout`, or none (12001, an application exception).
 */
export type TTStreamErrorCategory = 'application' | 'protocol' | 'canceled' | 'timeout';

interface CodeInfo {
  readonly text: string;
  readonly category: TTStreamErrorCategory;
}

// Texts are Kitex's, byte for byte: peers compare them and users grep logs for them.
const CODE_INFO: Readonly<Record<TTStreamErrorCode, CodeInfo>> = {
  12001: { text: 'application exception', category: 'application' },
  12002: { text: 'unexpected header frame', category: 'protocol' },
  12003: { text: 'illegal bizErr', category: 'protocol' },
  12004: { text: 'illegal frame', category: 'protocol' },
  12005: { text: 'illegal operation', category: 'protocol' },
  12006: { text: 'transport is closing', category: 'protocol' },
  12007: {
    text: 'user code invoking stream RPC with context processed by context.WithCancel or context.WithTimeout, then invoking cancel() actively',
    category: 'canceled',
  },
  12008: { text: 'user code canceled with cancelCause(error)', category: 'canceled' },
  12009: { text: 'canceled by downstream', category: 'canceled' },
  12010: { text: 'canceled by upstream', category: 'canceled' },
  12011: { text: 'internal canceled', category: 'canceled' },
  12012: { text: 'canceled by business handler returning', category: 'canceled' },
  12013: { text: 'canceled by connection closed', category: 'canceled' },
  12014: { text: 'stream Recv timeout', category: 'timeout' },
  12015: { text: 'stream timeout', category: 'timeout' },
};

/** True when `value` is one of the codes 12001-12015. */
export function isTTStreamErrorCode(value: number): value is TTStreamErrorCode {
  return Object.hasOwn(CODE_INFO, value);
}

/** Kitex's fixed text for a code, e.g. `canceled by upstream` for 12010. */
export function errorCodeText(code: TTStreamErrorCode): string {
  return CODE_INFO[code].text;
}

/** The Kitex parent error a code belongs to. */
export function errorCodeCategory(code: TTStreamErrorCode): TTStreamErrorCategory {
  return CODE_INFO[code].category;
}
