import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The fence's language (`ts`, `bash`, ...); empty when it names none. */
  readonly lang: string;
  readonly code: string;
  /** The 1-based line of the block's first code line in the Markdown file. */
  readonly line: number;
  /** The names of a `<!-- readme-preamble: a, b -->` comment just before the fence. */
  readonly preambles: readonly string[];
}

/** A problem found in a block, at a line of the Markdown file. */
export interface BlockProblem {
  readonly line: number;
  readonly message: string;
}

const FENCE = /^```(\S*)\s*$/;
const PREAMBLE = /^<!--\s*readme-preamble:\s*([\w\s,-]+?)\s*-->\s*$/;

/** The fenced code blocks of `markdown`. Fences must start at column 0, so none is missed. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let preambles: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\s+```/.test(line)) throw new Error(`line ${i + 1}: indented code fence`);
    const open = FENCE.exec(line);
    if (open !== null) {
      const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
      if (end < 0) throw new Error(`line ${i + 1}: code fence never closed`);
      const code = lines.slice(i + 1, end).join('\n');
      blocks.push({ lang: open[1] ?? '', code, line: i + 2, preambles });
      preambles = [];
      i = end;
      continue;
    }
    const preamble = PREAMBLE.exec(line);
    if (preamble !== null) preambles = (preamble[1] ?? '').split(/[\s,]+/).filter(Boolean);
    else if (line.trim() !== '') preambles = [];
  }
  return blocks;
}

/** The repository root (Jest runs from it). */
export const ROOT = process.cwd();

/** Where the blocks live while checked: in memory only, never on disk. */
const VIRTUAL_DIR = join(ROOT, '.readme-blocks');

/** Modules the README imports that are not dependencies of this repository: checked against stubs. */
const STUBS: Readonly<Record<string, string>> = {
  '@nestjs/config': 'test/docs/stubs/nestjs-config.d.ts',
  '@opentelemetry/sdk-node': 'test/docs/stubs/opentelemetry-sdk-node.d.ts',
};

/** The file a block becomes: the path its first line names (`// src/main.ts`), or one of its own. */
function blockFileName(block: CodeBlock): string {
  const named = /^\/\/ (src\/[\w./-]+\.ts)\s*$/.exec(block.code.split('\n')[0] ?? '');
  return join(VIRTUAL_DIR, named?.[1] ?? `src/readme-line-${block.line}.ts`);
}

function compilerOptions(extraPaths: Readonly<Record<string, string[]>>): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (config === undefined) throw new Error('cannot read tsconfig.json');
  const paths: Record<string, string[]> = {
    // The package by name, as a user imports it, resolved to its sources.
    'nestjs-ttstream': [join(ROOT, 'lib/index.ts')],
    'nestjs-ttstream/protocol': [join(ROOT, 'lib/protocol/index.ts')],
  };
  for (const [name, stub] of Object.entries(STUBS)) {
    if (!existsSync(join(ROOT, 'node_modules', name, 'package.json'))) {
      paths[name] = [join(ROOT, stub)];
    }
  }
  Object.assign(paths, extraPaths);
  return {
    ...config.options,
    noEmit: true,
    // Examples may declare things they do not use (a controller the reader registers elsewhere).
    noUnusedLocals: false,
    noUnusedParameters: false,
    paths,
  };
}

/**
 * Type-checks the `ts` blocks as the files of one project, with the repository's compiler options
 * and `nestjs-ttstream` mapped to `lib/`. A block whose first line is `// src/<path>.ts` is that
 * file, so blocks can import each other (`./app.module.js`); `./generated/echo.js` is the
 * generated module of `sample/idl/echo.thrift`. Preambles (see {@link codeBlocks}) are put in
 * front of their block. `extraPaths` adds module mappings (Nest 11's packages, say). Returns
 * every diagnostic, at its line in the Markdown file.
 */
export function typeCheckBlocks(
  blocks: readonly CodeBlock[],
  preambles: Readonly<Record<string, string>>,
  extraPaths: Readonly<Record<string, string[]>> = {},
): BlockProblem[] {
  if (existsSync(VIRTUAL_DIR)) throw new Error(`${VIRTUAL_DIR} must not exist on disk`);
  const problems: BlockProblem[] = [];
  const files = new Map<string, string>([
    [
      join(VIRTUAL_DIR, 'src/generated/echo.ts'),
      readFileSync(join(ROOT, 'sample/generated/echo.ts'), 'utf8'),
    ],
  ]);
  const origins = new Map<string, { block: CodeBlock; preambleLines: number }>();
  for (const block of blocks) {
    if (block.lang !== 'ts') continue;
    const fileName = blockFileName(block);
    if (files.has(fileName)) {
      problems.push({ line: block.line, message: `a second block names ${fileName}` });
      continue;
    }
    let preamble = '';
    for (const name of block.preambles) {
      const text = preambles[name];
      if (text === undefined) problems.push({ line: block.line, message: `no preamble '${name}'` });
      else preamble += text.trim() + '\n';
    }
    files.set(fileName, `${preamble}${block.code}\nexport {};\n`);
    origins.set(fileName, { block, preambleLines: preamble.split('\n').length - 1 });
  }

  const options = compilerOptions(extraPaths);
  const base = ts.createCompilerHost(options, true);
  const inVirtualDir = (path: string): boolean =>
    path === VIRTUAL_DIR || path.startsWith(`${VIRTUAL_DIR}/`);
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (name) => files.has(name) || base.fileExists(name),
    readFile: (name) => files.get(name) ?? base.readFile(name),
    directoryExists: (name) => inVirtualDir(name) || (base.directoryExists?.(name) ?? true),
    getSourceFile: (name, languageVersion, onError, shouldCreate) => {
      const text = files.get(name);
      if (text !== undefined) return ts.createSourceFile(name, text, languageVersion, true);
      return base.getSourceFile(name, languageVersion, onError, shouldCreate);
    },
  };

  const program = ts.createProgram([...origins.keys()], options, host);
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const fileName of origins.keys()) {
    diagnostics.push(...ts.getPreEmitDiagnostics(program, program.getSourceFile(fileName)));
  }
  const seen = new Set<string>();
  for (const diagnostic of diagnostics) {
    const problem = locate(diagnostic, origins);
    const key = `${problem.line}:${problem.message}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return problems;
}

function locate(
  diagnostic: ts.Diagnostic,
  origins: ReadonlyMap<string, { block: CodeBlock; preambleLines: number }>,
): BlockProblem {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const origin = diagnostic.file === undefined ? undefined : origins.get(diagnostic.file.fileName);
  if (diagnostic.file === undefined || origin === undefined || diagnostic.start === undefined) {
    return { line: 0, message: `${diagnostic.file?.fileName ?? 'options'}: ${message}` };
  }
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const inBlock = line - origin.preambleLines;
  if (inBlock < 0) {
    return {
      line: origin.block.line,
      message: `preamble ${origin.block.preambles.join(', ')}: ${message}`,
    };
  }
  return { line: origin.block.line + inBlock, message };
}

/** What `bashProblems` reads from package.json. */
export interface PackageInfo {
  readonly name: string;
  readonly scripts: Readonly<Record<string, string>>;
  readonly bin: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
}

/** This repository's package.json. */
export function packageInfo(): PackageInfo {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageInfo;
}

/** The commands of a `bash` block, one per entry: comments dropped, split at `&&`, `||`, `;`, `|`. */
export function bashCommands(code: string): string[][] {
  return code
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => line.split(/&&|\|\||;|\|/))
    .map((command) => command.trim().split(/\s+/).filter(Boolean))
    .filter((words) => words.length > 0);
}

/**
 * Why a command of a `bash` block would not work in this repository or for a user: allowed are
 * `npm ci`, `npm test`, `npm start` and `npm run <script>` for scripts that exist, `npm install`
 * of this package and its peer dependencies, and `npx` of the package's own command.
 */
export function bashProblem(words: readonly string[], pkg: PackageInfo): string | undefined {
  const [tool, sub, ...rest] = words;
  const shown = words.join(' ');
  if (tool === 'npx') {
    return sub !== undefined && sub in pkg.bin
      ? undefined
      : `${shown}: not a command of the package`;
  }
  if (tool !== 'npm') return `${shown}: not an npm or npx command`;
  switch (sub) {
    case 'ci':
      return undefined;
    case 'test':
    case 'start':
      return sub in pkg.scripts ? undefined : `${shown}: package.json has no '${sub}' script`;
    case 'run': {
      const script = rest[0];
      if (script !== undefined && script in pkg.scripts) return undefined;
      return `${shown}: package.json has no '${script ?? ''}' script`;
    }
    case 'install':
    case 'i': {
      const unknown = rest
        .filter((arg) => !arg.startsWith('-'))
        .map((arg) => arg.replace(/(.)@.*$/, '$1'))
        .filter((name) => name !== pkg.name && !(name in pkg.peerDependencies));
      if (unknown.length === 0) return undefined;
      return `${shown}: ${unknown.join(', ')} is neither the package nor a peer dependency`;
    }
    case undefined:
    default:
      return `${shown}: not a known npm command`;
  }
}

/**
 * Module mappings that type-check the blocks (and lib/) against the Nest 11 install of
 * test/nest11 (`npm ci --omit=peer` there). Entry files, not directories: with `nodenext`
 * resolution a mapping to a package directory is not followed.
 */
export function nest11Paths(): Record<string, string[]> {
  const dir = join(ROOT, 'test/nest11/node_modules/@nestjs');
  const paths: Record<string, string[]> = {};
  for (const name of ['common', 'core', 'microservices', 'testing']) {
    paths[`@nestjs/${name}`] = [join(dir, name, 'index.d.ts')];
  }
  return paths;
}
