import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import ts from 'typescript';
import { waitFor } from '../../helpers/wait.js';

const QUICK_START = resolve(process.cwd(), 'sample/quick-start.ts');

/** The file as the README shows it: the package imported by name. */
function asPublished(code: string): string {
  return code
    .replaceAll("from '../lib/index.js'", "from 'nestjs-ttstream'")
    .replace(/^\s*\/\/ eslint-disable-next-line.*\n/gm, '')
    .trim();
}

describe('the README quick start (sample/quick-start.ts)', () => {
  it('type-checks with the project settings', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      resolve(process.cwd(), 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    if (config === undefined) throw new Error('cannot read tsconfig.json');
    const program = ts.createProgram([QUICK_START], { ...config.options, noEmit: true });
    // Only the quick start's own diagnostics: the files it imports are checked by `npm run typecheck`.
    const diagnostics = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(QUICK_START))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it('runs as pasted: loading the file serves, calls and prints the responses', async () => {
    const expected = [0, 1, 2].map((index) => ({ message: 'hello', index }));
    const printed: unknown[][] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args);
    });
    try {
      // The file ends with a call of quickStart() that prints its result.
      const { quickStart } = await import('../../../sample/quick-start.js');
      await waitFor(() => printed.length > 0, 'the quick start to print');
      expect(printed).toEqual([[expected]]);
      expect(await quickStart()).toEqual(expected);
    } finally {
      log.mockRestore();
    }
  });

  it('is what the README shows, wherever it shows a @StreamPattern example', () => {
    const readme = readFileSync(resolve(process.cwd(), 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => (m[1] ?? '').trim())
      .filter((code) => code.includes('@StreamPattern(') && code.includes('quickStart'));
    const published = asPublished(readFileSync(QUICK_START, 'utf8'));
    expect(blocks).toHaveLength(1);
    for (const block of blocks) expect(block).toBe(published);
  });
});
