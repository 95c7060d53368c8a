/**
 * The version of an `@nestjs/*` package as the repository's code loads it: the specifier is
 * resolved from test/helpers/, like lib/ and the tests resolve theirs (so through a Jest
 * moduleNameMapper when one applies).
 */
export async function loadedNestVersion(name: string): Promise<string> {
  // A variable specifier: a literal would be type-checked, and Nest 12 does not export it.
  const specifier = `@nestjs/${name}/package.json`;
  const pkg = (await import(specifier, { with: { type: 'json' } })) as {
    default: { version: string };
  };
  return pkg.default.version;
}
