/**
 * The Go package of an IDL as Kitex names it in spans (`<package>.<Service>/<Method>`): the last
 * dot-separated part of `namespace go`. Undefined for an IDL object without namespaces (a
 * hand-built descriptor) or without a Go namespace.
 * @internal
 */
export function goPackageName(idl: object): string | undefined {
  const namespaces = (idl as { namespaces?: ReadonlyMap<string, string> }).namespaces;
  const go = namespaces?.get('go');
  if (go === undefined || go === '') return undefined;
  return go.slice(go.lastIndexOf('.') + 1);
}
