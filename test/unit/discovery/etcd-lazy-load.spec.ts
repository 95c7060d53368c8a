import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the optional peer etcd3', () => {
  it('is imported by value only through the lazy import() of etcd-connection.ts', () => {
    const valueImports: string[] = [];
    const dynamicImports: string[] = [];
    for (const file of sources('lib')) {
      const text = readFileSync(file, 'utf8');
      for (const line of text.split('\n')) {
        if (/from 'etcd3'/.test(line) && !/^import type /.test(line)) valueImports.push(file);
        if (/import\('etcd3'\)/.test(line)) dynamicImports.push(file);
      }
    }
    expect(valueImports).toEqual([]);
    expect(dynamicImports).toEqual([join('lib', 'discovery', 'etcd', 'etcd-connection.ts')]);
  });

  it('is an optional peer dependency (and a devDependency for the tests)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      devDependencies: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    expect(pkg.peerDependencies['etcd3']).toBeDefined();
    expect(pkg.peerDependenciesMeta['etcd3']?.optional).toBe(true);
    expect(pkg.devDependencies['etcd3']).toBeDefined();
    expect(pkg.dependencies?.['etcd3']).toBeUndefined();
  });
});
