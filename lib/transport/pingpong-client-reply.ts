import { ApplicationException } from '../errors/application-exception.js';
import { BizStatusError } from '../errors/biz-status-error.js';
import { RpcCallError, RpcCallErrorKind } from '../errors/rpc-call-error.js';
import type { ThriftException } from '../errors/thrift-exception.js';
import { HEADER_BIZ_EXTRA, HEADER_CONNECTION_RESET } from '../protocol/header-keys.js';
import type { PingPongMessage } from '../protocol/pingpong-message.js';
import { decodeApplicationExceptionMessage } from '../thrift/application-exception.js';
import { exceptionFromResult } from '../thrift/declared-exception.js';
import { decodeThriftMessageHeader, ThriftMessageType } from '../thrift/message-envelope.js';
import type { UnaryMethodDescriptor } from '../thrift/thrift-idl.js';
import { describeValue } from './to-error.js';
import { bizErrorFromHeaders } from './trailer-to-error.js';

/** What a reply means for its call. @internal not covered by semver */
export type ReplyOutcome =
  | { readonly ok: true; readonly value: unknown; readonly reusable: boolean }
  | { readonly ok: false; readonly error: Error; readonly reusable: boolean };

/** Exception classes by IDL name, for declared exceptions. @internal */
export type ExceptionClasses = ReadonlyMap<string, new (fields: object) => ThriftException>;

// Kitex's texts for a TApplicationException without a message (`remote.defaultTransErrorMessage`).
const DEFAULT_EXCEPTION_TEXTS: Readonly<Record<number, string>> = {
  0: 'unknown application exception',
  1: 'unknown method',
  2: 'invalid message type',
  3: 'wrong method name',
  4: 'bad sequence ID',
  5: 'missing result',
  6: 'unknown internal error',
  7: 'unknown protocol error',
  8: 'Invalid transform',
  9: 'Invalid protocol',
  10: 'Unsupported client type',
  20: 'unknown service',
};

/**
 * Reads the reply to the call of `method` with `seqId`, as a Kitex client does:
 * - REPLY with the right seq id and name: a malformed `biz-extra` fails; then the result struct
 *   decodes; a `biz-status` key gives a `BizStatusError`; a set `throws` field the declared
 *   exception (an instance of its class in `classes`, else a `ThriftException`); otherwise the
 *   `success` value (undefined when void or absent, as Kitex returns nil);
 * - EXCEPTION (seq id not checked, as Kitex): an `ApplicationException` with the peer's type
 *   and message;
 * - anything else, or bytes that do not decode: a `remote or network error[remote]`.
 *
 * The connection stays `reusable` unless the reply was bad or carries `crrst`.
 * @internal not covered by semver
 */
export function replyOutcome(
  method: UnaryMethodDescriptor,
  seqId: number,
  reply: PingPongMessage,
  classes: ExceptionClasses | undefined,
): ReplyOutcome {
  const reset = reply.strHeaders.has(HEADER_CONNECTION_RESET);
  let header: ReturnType<typeof decodeThriftMessageHeader>;
  try {
    header = decodeThriftMessageHeader(reply.message);
  } catch (error) {
    return bad(describeValue(error), error);
  }
  if (header.type === ThriftMessageType.Exception) {
    try {
      const ex = decodeApplicationExceptionMessage(reply.message);
      return {
        ok: false,
        error: unaryApplicationException(ex.typeId, ex.message),
        reusable: !reset,
      };
    } catch (error) {
      return bad(describeValue(error), error);
    }
  }
  if (header.type !== ThriftMessageType.Reply) {
    return bad(`client side, invalid message type ${header.type}`);
  }
  if (header.seqId !== seqId) {
    return bad(
      `method[${method.name}] out of order sequence response, expect[${seqId}], receive[${header.seqId}]`,
    );
  }
  if (header.name !== method.name) {
    return bad(`wrong method name, expect=${method.name}, actual=${header.name}`);
  }
  const biz = bizErrorFromHeaders(reply.strHeaders, 'client');
  if (biz !== undefined && !(biz instanceof BizStatusError)) {
    const extra = reply.strHeaders.get(HEADER_BIZ_EXTRA) ?? '';
    return bad(`malformed header info, extra: ${extra}`, biz, !reset);
  }
  let result: Record<string, unknown>;
  try {
    result = method.resultCodec.decode(reply.message.subarray(header.bodyOffset));
  } catch (error) {
    return bad(describeValue(error), error);
  }
  if (biz !== undefined) return { ok: false, error: biz, reusable: !reset };
  const declared = exceptionFromResult(method, result, classes);
  if (declared !== undefined) return { ok: false, error: declared, reusable: !reset };
  return { ok: true, value: method.returnsVoid ? undefined : result.success, reusable: !reset };
}

/**
 * An EXCEPTION reply as a Kitex client reports it: `remote or network error[remote]: <message>`
 * (its text for the type when the message is empty), with the type id and the message kept.
 * @internal not covered by semver
 */
export function unaryApplicationException(typeId: number, message: string): ApplicationException {
  const error = new ApplicationException(typeId, message, { remote: true });
  const text = message === '' ? (DEFAULT_EXCEPTION_TEXTS[typeId] ?? '') : message;
  // The streaming layout (`[ttstream error, code=12001] ...`) would mislead for a unary call.
  Object.defineProperty(error, 'message', {
    value: `${RpcCallErrorKind.RemoteOrNetwork}[remote]: ${text}`,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  Error.captureStackTrace(error, unaryApplicationException);
  return error;
}

function bad(detail: string, cause?: unknown, reusable = false): ReplyOutcome {
  return {
    ok: false,
    error: new RpcCallError(RpcCallErrorKind.RemoteOrNetwork, detail, { remote: true, cause }),
    reusable,
  };
}
