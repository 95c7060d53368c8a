import { TApplicationExceptionType, fromBizStatusError } from '../errors/index.js';
import {
  HEADER_BIZ_EXTRA,
  HEADER_BIZ_MESSAGE,
  HEADER_BIZ_STATUS,
} from '../protocol/header-keys.js';
import { IntHeaderKey } from '../protocol/int-header-key.js';
import type { PingPongMessage } from '../protocol/pingpong-decoder.js';
import { carriesHeaders, type PingPongShape } from '../protocol/pingpong-shape.js';
import { encodeApplicationExceptionMessage } from '../thrift/application-exception.js';
import { encodeThriftMessage, ThriftMessageType } from '../thrift/message-envelope.js';
import { trailerFromError } from './error-to-trailer.js';
import type { PingPongReply } from './pingpong-server-connection.js';
import { describeValue } from './to-error.js';
import type { UnaryRoute } from './unary-route.js';

/** The request a reply answers: its framing, method name and seqid. @internal */
export interface ReplyTarget {
  readonly shape: PingPongShape;
  readonly name: string;
  readonly seqId: number;
}

/** How a handler ended. @internal */
export type UnaryOutcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** The target of a reply to `message`, named `name` with `seqId`. @internal */
export function replyTarget(message: PingPongMessage, name: string, seqId: number): ReplyTarget {
  return { shape: message.shape, name, seqId };
}

/**
 * The reply to a handler's outcome, as a Kitex server builds it: a REPLY carrying the return
 * value in field 0, or a declared exception in its field; a business error as an empty REPLY
 * plus `biz-*` keys (TTHeader only: Framed and Buffered have nowhere to put them, and Kitex sends
 * the empty REPLY alone); anything else an EXCEPTION (TApplicationException).
 * @internal not covered by semver
 */
export function replyForOutcome(
  target: ReplyTarget,
  route: UnaryRoute,
  outcome: UnaryOutcome,
  replyHeaders: ReadonlyMap<string, string>,
  hideErrorMessages: boolean,
): PingPongReply {
  let result: Record<string, unknown>;
  const headers = new Map(replyHeaders);
  if (outcome.ok) {
    result = route.returnsVoid || outcome.value === undefined ? {} : { success: outcome.value };
  } else {
    const declared = route.declaredException(outcome.error);
    const biz = declared === undefined ? fromBizStatusError(outcome.error) : undefined;
    if (declared !== undefined) {
      result = { [declared.name]: declared.value };
    } else if (biz !== undefined) {
      result = {};
      headers.set(HEADER_BIZ_STATUS, String(biz.bizStatusCode));
      headers.set(HEADER_BIZ_MESSAGE, biz.bizMessage);
      if (biz.bizExtra !== undefined) headers.set(HEADER_BIZ_EXTRA, JSON.stringify(biz.bizExtra));
    } else {
      const { payload } = trailerFromError(outcome.error, {
        method: target.name,
        streamId: target.seqId,
        hideErrorMessages,
      });
      return messageReply(
        target,
        ThriftMessageType.Exception,
        payload ?? new Uint8Array(),
        headers,
      );
    }
  }
  let body: Uint8Array;
  try {
    body = route.resultCodec.encode(result);
  } catch (error) {
    return exceptionReply(
      target,
      TApplicationExceptionType.InternalError,
      `biz error: the result of ${target.name} cannot be encoded: ${describeValue(error)}`,
    );
  }
  const message = encodeThriftMessage(
    { name: target.name, type: ThriftMessageType.Reply, seqId: target.seqId },
    body,
  );
  return messageReply(target, ThriftMessageType.Reply, message, headers);
}

/**
 * An EXCEPTION reply carrying a TApplicationException; `closeAfter` for the read errors after
 * which Kitex closes the connection. @internal not covered by semver
 */
export function exceptionReply(
  target: ReplyTarget,
  typeId: number,
  message: string,
  closeAfter = false,
): PingPongReply {
  const bytes = encodeApplicationExceptionMessage({
    method: target.name,
    seqId: target.seqId,
    typeId,
    message,
  });
  const reply = messageReply(target, ThriftMessageType.Exception, bytes, new Map());
  return closeAfter ? { ...reply, closeAfter } : reply;
}

function messageReply(
  target: ReplyTarget,
  type: ThriftMessageType,
  message: Uint8Array,
  strHeaders: ReadonlyMap<string, string>,
): PingPongReply {
  if (!carriesHeaders(target.shape))
    return { init: { shape: target.shape, seqId: target.seqId, message } };
  return {
    init: {
      shape: target.shape,
      seqId: target.seqId,
      // Kitex's reply carries MsgType alone among the int keys.
      intHeaders: new Map([[IntHeaderKey.MsgType, String(type)]]),
      strHeaders,
      message,
    },
  };
}
