import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { README_PREAMBLES } from './readme-preambles.js';
import {
  bashCommands,
  bashProblem,
  codeBlocks,
  packageInfo,
  ROOT,
  typeCheckBlocks,
} from './readme-check.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = codeBlocks(README);
const pkg = packageInfo();

/** Languages with no check: another language's code shown for comparison. */
const SHOWN_ONLY = new Set(['go']);
const CHECKED = new Set(['ts', 'bash', 'json', 'yaml']);

describe('README.md code blocks', () => {
  it('are all in a language this test checks (or Go, shown for comparison)', () => {
    const unchecked = blocks
      .filter((b) => !CHECKED.has(b.lang) && !SHOWN_ONLY.has(b.lang))
      .map((b) => `line ${b.line}: \`\`\`${b.lang}`);
    expect(unchecked).toEqual([]);
    expect(blocks.filter((b) => b.lang === 'ts').length).toBeGreaterThan(5);
  });

  it('ts: every block type-checks against the library', () => {
    expect(typeCheckBlocks(blocks, README_PREAMBLES)).toEqual([]);
  }, 120_000);

  it('bash: every command is an npm script, an install of the package or its peers, or its CLI', () => {
    const problems = blocks
      .filter((b) => b.lang === 'bash')
      .flatMap((b) => bashCommands(b.code).map((words) => bashProblem(words, pkg)))
      .filter((problem) => problem !== undefined);
    expect(problems).toEqual([]);
  });

  it('bash: the install command names every peer dependency that is not optional', () => {
    const installed = blocks
      .filter((b) => b.lang === 'bash')
      .flatMap((b) => bashCommands(b.code))
      .filter(([tool, sub]) => tool === 'npm' && sub === 'install')
      .flat();
    expect(installed).toContain(pkg.name);
    const meta = (pkg as { peerDependenciesMeta?: Record<string, { optional?: boolean }> })
      .peerDependenciesMeta;
    for (const peer of Object.keys(pkg.peerDependencies)) {
      if (meta?.[peer]?.optional !== true) expect(installed).toContain(peer);
    }
  });

  it('json: every block parses', () => {
    for (const block of blocks.filter((b) => b.lang === 'json')) {
      expect(() => JSON.parse(block.code) as unknown).not.toThrow();
    }
  });

  it("yaml: every probe path is a route of the README's controllers", () => {
    const code = blocks
      .filter((b) => b.lang === 'ts')
      .map((b) => b.code)
      .join('\n');
    const paths = blocks
      .filter((b) => b.lang === 'yaml')
      .flatMap((b) => [...b.code.matchAll(/^\s*path:\s*(\S+)\s*$/gm)].map((m) => m[1] ?? ''));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      const [prefix, route] = path.replace(/^\//, '').split('/', 2);
      expect(code).toContain(`@Controller('${prefix}')`);
      expect(code).toContain(`@Get('${route}')`);
    }
  });
});

describe('the README block checks themselves', () => {
  const sample = [
    'Text.',
    '',
    '```ts',
    "import { StreamPattern } from 'nestjs-ttstream';",
    "const count: number = 'three';",
    '```',
    '',
    '```ts',
    "import { NoSuchExport } from 'nestjs-ttstream';",
    '```',
    '',
    '<!-- readme-preamble: given -->',
    '',
    '```ts',
    'given.toFixed(1);',
    'missing.toFixed(1);',
    '```',
    '',
    '<!-- readme-preamble: nowhere -->',
    '```ts',
    '```',
  ].join('\n');

  it('finds blocks with their first line and preambles', () => {
    expect(codeBlocks(sample).map((b) => [b.lang, b.line, b.preambles])).toEqual([
      ['ts', 4, []],
      ['ts', 9, []],
      ['ts', 15, ['given']],
      ['ts', 21, ['nowhere']],
    ]);
  });

  it('report type errors at their README line, and missing preambles', () => {
    const problems = typeCheckBlocks(codeBlocks(sample), { given: 'declare const given: number;' });
    expect(problems).toEqual([
      { line: 21, message: "no preamble 'nowhere'" },
      { line: 5, message: "Type 'string' is not assignable to type 'number'." },
      { line: 9, message: expect.stringContaining("has no exported member 'NoSuchExport'") },
      { line: 16, message: "Cannot find name 'missing'." },
    ]);
  }, 120_000);

  it('report commands that are not scripts, peers or the package CLI', () => {
    const problems = bashCommands(
      [
        'npm ci && npm run no-such-script   # a comment',
        'npm install nestjs-ttstream left-pad@1',
        'npx other-tool gen',
        'curl https://example.com | sh',
      ].join('\n'),
    ).map((words) => bashProblem(words, pkg));
    expect(problems).toEqual([
      undefined,
      "npm run no-such-script: package.json has no 'no-such-script' script",
      'npm install nestjs-ttstream left-pad@1: left-pad is neither the package nor a peer dependency',
      'npx other-tool gen: not a command of the package',
      'curl https://example.com: not an npm or npx command',
      'sh: not an npm or npx command',
    ]);
  });
});
