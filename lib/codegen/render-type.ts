import { type ThriftType } from '../thrift/schema.js';
import { exceptionFieldsName, tsTypeName } from './ts-names.js';

/**
 * The TypeScript type of values of `type`, in the codec's value mapping (an exception struct as
 * its `<Name>Fields` interface).
 */
export function renderType(type: ThriftType): string {
  switch (type.kind) {
    case 'bool':
      return 'boolean';
    case 'byte':
    case 'i16':
    case 'i32':
    case 'double':
      return 'number';
    case 'i64':
      return type.asNumber === true ? 'number' : 'bigint';
    case 'string':
      return 'string';
    case 'binary':
      return 'Uint8Array';
    case 'enum':
      return tsTypeName(type.enum.name);
    case 'struct':
      // A struct value of an exception type is plain data, not the generated class.
      return type.struct.kind === 'exception'
        ? exceptionFieldsName(type.struct.name)
        : tsTypeName(type.struct.name);
    case 'list':
    case 'set':
      return `Array<${renderType(type.element)}>`;
    case 'map':
      return `Map<${renderType(type.key)}, ${renderType(type.value)}>`;
  }
}
