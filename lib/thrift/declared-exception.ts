import {
  asThriftException,
  ThriftException,
  type ThriftExceptionClass,
} from '../errors/thrift-exception.js';
import { type UnaryMethodDescriptor } from './thrift-idl.js';

/** The parts of a unary method the exception helpers read. */
export type UnaryMethodThrows = Pick<UnaryMethodDescriptor, 'throws'>;

/**
 * The result field a handler's error goes in, as a Kitex server puts a declared exception in
 * its `<Method>_result`: when `error` is a {@link ThriftException} (or an `RpcException`
 * carrying one) whose `thriftName` is the struct of one of the method's `throws` entries.
 * `value` holds the exception's IDL fields (its enumerable own properties), ready for the
 * result codec. Undefined for anything else, plain objects included.
 */
export function declaredExceptionField(
  method: UnaryMethodThrows,
  error: unknown,
): { name: string; value: object } | undefined {
  const exception = asThriftException(error);
  if (exception === undefined) return undefined;
  // The class's static name first: an IDL field named `thriftName` shadows the instance's.
  const idlName =
    (exception.constructor as ThriftExceptionClass).thriftName ?? exception.thriftName;
  const entry = method.throws.find((t) => t.struct.name === idlName);
  if (entry === undefined) return undefined;
  // Own enumerable properties only: the fields given, never name, message or stack.
  return { name: entry.name, value: Object.fromEntries(Object.entries(exception)) };
}

/**
 * The declared exception a decoded `<Method>_result` carries, or undefined when no `throws`
 * field is set: an instance of the class registered for the exception's IDL name, else a
 * generic {@link ThriftException} with `thriftName` set and the fields assigned.
 *
 * @param classes generated exception classes by IDL name ({@link exceptionClassMap}).
 */
export function exceptionFromResult(
  method: UnaryMethodThrows,
  result: Readonly<Record<string, unknown>>,
  classes?: ReadonlyMap<string, new (fields: object) => ThriftException>,
): ThriftException | undefined {
  for (const t of method.throws) {
    const fields = result[t.name];
    if (typeof fields !== 'object' || fields === null) continue;
    const Class = classes?.get(t.struct.name);
    return Class === undefined ? new ThriftException(fields, t.struct.name) : new Class(fields);
  }
  return undefined;
}

/**
 * Generated exception classes (a generated file's `<FILE>_EXCEPTIONS`) by their static
 * `thriftName`, for {@link exceptionFromResult}.
 *
 * @throws TypeError for a class without a static `thriftName`.
 */
export function exceptionClassMap(
  classes: Iterable<ThriftExceptionClass>,
): ReadonlyMap<string, ThriftExceptionClass> {
  const map = new Map<string, ThriftExceptionClass>();
  for (const Class of classes) {
    if (typeof Class.thriftName !== 'string') {
      throw new TypeError(`${Class.name} has no static thriftName (not a generated exception)`);
    }
    map.set(Class.thriftName, Class);
  }
  return map;
}
