import { RpcException } from '@nestjs/microservices';

/** A class of declared exceptions: a generated one (`EchoException`) or {@link ThriftException}. */
export interface ThriftExceptionClass {
  new (fields: object): ThriftException;
  /** The IDL name of the exception struct (`EchoException`, `base.Oops`). */
  readonly thriftName?: string;
}

/**
 * An exception declared in the IDL (`exception EchoException {...}` in a method's `throws`).
 * Code generation emits one subclass per IDL exception, with a static `thriftName` and typed
 * fields; a handler throws (or emits) an instance and the client raises an instance of the
 * same class (or a plain `ThriftException` when it was not given the generated classes).
 *
 * Fields: the constructor copies the given fields onto the instance as enumerable own
 * properties, and only those are IDL field values. The properties an Error has of its own
 * (`name`, `message`, `stack`, `cause`) and `thriftName` are non-enumerable, so they are never
 * encoded, unless the IDL has a field of that name and it was given: an IDL field `message`
 * then is `.message` (`new EchoException({ code: 42, message: 'declared failure' }).message`
 * is `'declared failure'`). Without one, `.message` describes the fields
 * (`Oops(code=3, detail="x")`). Set fields later by plain assignment (`err.code = 5`);
 * assigning to an Error property that was not given as a field (`message` included) changes
 * the property only, not what is encoded.
 *
 * Subclasses Nest's `RpcException` and returns itself from `getError()`, so Nest's default
 * exception filter passes it through intact.
 */
export class ThriftException extends RpcException {
  /** The IDL name of the exception struct; generated subclasses set it. */
  static thriftName?: string;

  /** The IDL name of the exception struct, which selects the method's `throws` field. */
  declare readonly thriftName: string;

  /**
   * @param fields the IDL field values, by field name (as a struct value).
   * @param thriftName the IDL struct name; defaults to the class's static `thriftName`, then
   * to the class name.
   */
  constructor(fields: object = {}, thriftName?: string) {
    super('');
    const target = new.target as ThriftExceptionClass;
    const idlName = thriftName ?? target.thriftName ?? new.target.name;
    // RpcException keeps its argument in an own (enumerable) `error`; getError() returns
    // `this` instead, so drop it: only IDL fields may be enumerable.
    delete (this as unknown as { error?: unknown }).error;
    hidden(this, 'thriftName', idlName);
    hidden(this, 'name', new.target.name);
    hidden(this, 'message', describe(idlName, fields));
    // The stack was taken with an empty message; take it again with the name and text.
    const capture = (Error as { captureStackTrace?: (target: object, ctor: unknown) => void })
      .captureStackTrace;
    capture?.(this, new.target);
    for (const [key, value] of Object.entries(fields)) {
      // Redefined, not assigned: a field named like an Error property becomes enumerable.
      Reflect.deleteProperty(this, key);
      Object.defineProperty(this, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
  }

  /** Returns the exception itself, so Nest's RPC exception filter passes it through intact. */
  override getError(): this {
    return this;
  }
}

/**
 * The {@link ThriftException} an error is: the error itself, or the one an `RpcException`
 * carries (`new RpcException(new EchoException(...))`). Undefined otherwise.
 */
export function asThriftException(error: unknown): ThriftException | undefined {
  if (error instanceof ThriftException) return error;
  if (error instanceof RpcException) {
    const inner = error.getError();
    if (inner instanceof ThriftException) return inner;
  }
  return undefined;
}

function hidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

function describe(idlName: string, fields: object): string {
  const own = fields as Record<string, unknown>;
  if (typeof own.message === 'string') return own.message;
  const parts = Object.entries(own).map(([key, value]) => `${key}=${show(value)}`);
  return `${idlName}(${parts.join(', ')})`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value.toString()}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return `[${value.length} items]`;
  if (value instanceof Map || value instanceof Set) return `{${value.size} entries}`;
  return '{...}';
}
