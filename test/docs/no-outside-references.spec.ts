import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * Texts that name files outside the repository and the package: design notes and specs that
 * readers of the README or of the shipped `.d.ts` doc comments cannot open.
 */
const OUTSIDE: readonly RegExp[] = [
  /DESIGN\.md/,
  /STYLE\.md/,
  /ttstream-protocol\.md/,
  /echo-service\.md/,
  /test-matrix/,
  /\bspec (?:section )?\d/,
  /\/work\//,
  // A top-level `shared/` path (test/consumers/shared/ is in the repository).
  /(?<![\w-]\/)(?<![\w.-])(?:\.\.\/)*shared\//,
];

const ROOT = process.cwd();

/** The problems of `text`: `file:line: text` for each line naming an outside file. */
function outsideReferences(file: string, text: string): string[] {
  return text
    .split('\n')
    .flatMap((line, index) =>
      OUTSIDE.some((pattern) => pattern.test(line)) ? [`${file}:${index + 1}: ${line.trim()}`] : [],
    );
}

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => extensions.some((ext) => name.endsWith(ext)))
    .map((name) => join(dir, name));
}

describe('no reference to files outside the repository', () => {
  it('in README.md, CHANGELOG.md, lib/ (shipped as .d.ts doc comments) and sample/', () => {
    const files = [
      'README.md',
      'CHANGELOG.md',
      ...filesUnder('lib', ['.ts']),
      ...filesUnder('sample', ['.ts', '.md', '.thrift']),
    ];
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((file) =>
      outsideReferences(relative(ROOT, join(ROOT, file)), readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(found).toEqual([]);
  });

  it('self-test: flags design notes and top-level shared/ paths, not test/consumers/shared/', () => {
    const text = [
      ' * Handler failures end the stream per DESIGN.md policy 1.',
      '// Behaviour: ../../../shared/spec/echo-service.md',
      'see shared/spec/ttstream-protocol.md',
      ' * cancelled with them (spec 4.4).',
      'cp "$here/shared/check-stream.ts"',
      'test/consumers/shared/counter.thrift',
    ].join('\n');
    expect(outsideReferences('x', text)).toEqual([
      'x:1: * Handler failures end the stream per DESIGN.md policy 1.',
      'x:2: // Behaviour: ../../../shared/spec/echo-service.md',
      'x:3: see shared/spec/ttstream-protocol.md',
      'x:4: * cancelled with them (spec 4.4).',
    ]);
  });
});
