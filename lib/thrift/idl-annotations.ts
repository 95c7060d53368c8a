import { type Annotations } from '@creditkarma/thrift-parser';

/**
 * The annotations of an IDL node as a record (`(a="1", b)` gives `{ a: '1', b: '' }`); a
 * repeated key keeps its last value.
 *
 * @internal not covered by semver
 */
export function annotationsFromAst(node: Annotations | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (node === undefined) return out;
  for (const a of node.annotations) out[a.name.value] = a.value?.value ?? '';
  return out;
}

/** The annotation that maps an i64 to `number` instead of `bigint`: `js.type = "number"`. */
export const I64_AS_NUMBER_ANNOTATION = 'js.type';

/** True when `annotations` ask for i64 values as numbers. */
export function wantsI64AsNumber(annotations: Readonly<Record<string, string>>): boolean {
  return annotations[I64_AS_NUMBER_ANNOTATION] === 'number';
}
