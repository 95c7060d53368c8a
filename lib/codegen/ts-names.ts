/** The TypeScript name of an IDL type: `base.Base` becomes `base_Base`. */
export function tsTypeName(idlName: string): string {
  return idlName.replace(/\./g, '_');
}

/**
 * The TypeScript name of an IDL exception's field values (`EchoExceptionFields`): the IDL name
 * itself is the generated `ThriftException` class.
 */
export function exceptionFieldsName(idlName: string): string {
  return `${tsTypeName(idlName)}Fields`;
}

/** `TestService` -> `TEST_SERVICE`, `all-types` -> `ALL_TYPES`, `base.Svc` -> `BASE_SVC`. */
export function screamingSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** An object-literal key: the bare name when it is an identifier, else a quoted string. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : quote(name);
}

/** A single-quoted TypeScript string literal. */
export function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}
