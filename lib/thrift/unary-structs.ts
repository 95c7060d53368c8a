import { type FieldSchema, type StructSchema, type ThriftType } from './schema.js';

/** The name of a unary method's result field that carries its return value. */
export const SUCCESS_FIELD = 'success';

/**
 * The `<Method>_args` struct of a unary method: one field per IDL parameter, with its id, name,
 * type and requiredness. This struct is the body of a CALL or ONEWAY message.
 *
 * @internal not covered by semver
 */
export function argsStructSchema(
  service: string,
  method: string,
  params: readonly FieldSchema[],
): StructSchema {
  return { name: `${service}.${method}_args`, kind: 'struct', fields: [...params] };
}

/**
 * The `<Method>_result` struct of a unary method: field 0 `success` (the return value; none when
 * the method returns void), then one field per `throws` entry, all optional. This struct is the
 * body of a REPLY message: exactly one field is set, or none for a void method that succeeded.
 *
 * @internal not covered by semver
 */
export function resultStructSchema(
  service: string,
  method: string,
  returnType: ThriftType | undefined,
  throws: readonly FieldSchema[],
): StructSchema {
  const fields: FieldSchema[] = [];
  if (returnType !== undefined) {
    fields.push({ id: 0, name: SUCCESS_FIELD, type: returnType, requiredness: 'optional' });
  }
  for (const t of throws) {
    fields.push({
      id: t.id,
      name: t.name,
      type: t.type,
      requiredness: 'optional',
      ...(t.annotations === undefined ? {} : { annotations: t.annotations }),
    });
  }
  return { name: `${service}.${method}_result`, kind: 'struct', fields };
}
