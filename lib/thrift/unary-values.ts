import { type UnaryMethodDescriptor } from './thrift-idl.js';

/** The parts of a unary method the value helpers read. */
export type UnaryMethodParams = Pick<UnaryMethodDescriptor, 'name' | 'service' | 'params'>;

/**
 * What a handler receives (and a client passes) for a unary method's arguments: the value of
 * the only parameter when there is exactly one (`EchoUnary(1: Request req)` -> the `Request`),
 * else the args object keyed by parameter name (`{ a, b }`; `{}` for none).
 *
 * @param args the decoded args struct, keyed by parameter name.
 */
export function argsToPayload(method: UnaryMethodParams, args: Record<string, unknown>): unknown {
  const only = method.params.length === 1 ? method.params[0] : undefined;
  return only === undefined ? args : args[only.name];
}

/**
 * The inverse of {@link argsToPayload}: the args struct value to encode for `payload`. With
 * exactly one parameter the payload is its value; otherwise it must be an object keyed by
 * parameter name (undefined or null count as no arguments).
 *
 * @throws TypeError when a method without exactly one parameter gets a non-object payload.
 */
export function payloadToArgs(
  method: UnaryMethodParams,
  payload: unknown,
): Record<string, unknown> {
  const only = method.params.length === 1 ? method.params[0] : undefined;
  if (only !== undefined) return { [only.name]: payload };
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    const names = method.params.map((p) => p.name).join(', ');
    throw new TypeError(
      `${method.service}.${method.name} takes an object of its arguments (${names || 'none'}), got ${Array.isArray(payload) ? 'an array' : typeof payload}`,
    );
  }
  return payload as Record<string, unknown>;
}
