import { RpcException } from '@nestjs/microservices';

/** What {@link fromBizStatusError} returns: the business status of an error. */
export interface BizStatus {
  readonly bizStatusCode: number;
  readonly bizMessage: string;
  readonly bizExtra: Readonly<Record<string, string>> | undefined;
}

/**
 * A business error, the counterpart of Kitex's `kerrors.BizStatusError`. Thrown (or emitted)
 * by a handler it travels in the trailer's `biz-status`, `biz-message` and `biz-extra` keys;
 * received by a client it is raised as is, after every message sent before it.
 *
 * Subclasses Nest's `RpcException` and returns itself from `getError()`, so Nest's default
 * exception filter passes it through unchanged.
 */
export class BizStatusError extends RpcException implements BizStatus {
  /** The business status code, an int32 (Kitex `BizStatusCode()`). */
  readonly bizStatusCode: number;
  /** The business message (Kitex `BizMessage()`). */
  readonly bizMessage: string;
  /** Extra string pairs, or undefined when none were given (then no `biz-extra` key is sent). */
  readonly bizExtra: Readonly<Record<string, string>> | undefined;

  /**
   * @param bizStatusCode an int32; anything else is a RangeError.
   * @param bizMessage the business message.
   * @param bizExtra optional string pairs, sent as compact JSON in `biz-extra`.
   */
  constructor(
    bizStatusCode: number,
    bizMessage: string,
    bizExtra?: Readonly<Record<string, string>>,
  ) {
    if (
      !Number.isInteger(bizStatusCode) ||
      bizStatusCode < -0x80000000 ||
      bizStatusCode > 0x7fffffff
    ) {
      throw new RangeError(`bizStatusCode must be an int32, got ${String(bizStatusCode)}`);
    }
    // Kitex's Error() text, so logs read the same on both sides.
    super(`biz error: code=${bizStatusCode}, msg=${bizMessage}`);
    this.name = 'BizStatusError';
    this.bizStatusCode = bizStatusCode;
    this.bizMessage = bizMessage;
    this.bizExtra = bizExtra === undefined ? undefined : Object.freeze({ ...bizExtra });
  }

  /** Returns the error itself, so Nest's RPC exception filter passes it through intact. */
  override getError(): this {
    return this;
  }
}

/**
 * The business status carried by `error`, like Kitex's `kerrors.FromBizStatusError`: a
 * {@link BizStatusError}, anything with `bizStatusCode`/`bizMessage` (for instance the object an
 * `RpcException` carries), or a `cause` chain leading to one. Undefined otherwise.
 */
export function fromBizStatusError(error: unknown): BizStatus | undefined {
  const seen = new Set<unknown>();
  let current = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof BizStatusError) return current;
    const status = bizStatusOf(current);
    if (status !== undefined) return status;
    if (current instanceof RpcException) {
      const inner = bizStatusOf(current.getError());
      if (inner !== undefined) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function bizStatusOf(value: unknown): BizStatus | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { bizStatusCode, bizMessage, bizExtra } = value as Record<string, unknown>;
  if (typeof bizStatusCode !== 'number' || !Number.isInteger(bizStatusCode)) return undefined;
  if (bizStatusCode < -0x80000000 || bizStatusCode > 0x7fffffff) return undefined;
  return {
    bizStatusCode,
    bizMessage: typeof bizMessage === 'string' ? bizMessage : '',
    bizExtra: isStringRecord(bizExtra) ? bizExtra : undefined,
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string');
}
