import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../../../lib/cli/run-cli.js';

const out = resolve(`.tmp/cli-${process.pid}`);

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

describe('nestjs-ttstream gen', () => {
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('writes <out>/<name>.ts from an IDL with includes', () => {
    const result = run(['gen', 'test/fixtures/thrift/all-types.thrift', '--out', out]);
    expect(result).toEqual({ code: 0, stdout: `wrote ${join(out, 'all-types.ts')}\n`, stderr: '' });
    expect(readFileSync(join(out, 'all-types.ts'), 'utf8')).toContain(
      'export interface Everything {',
    );
  });

  it('searches --include-dir and honours --i64 number', () => {
    const result = run([
      'gen',
      'test/fixtures/thrift/chain_middle.thrift',
      '-o',
      out,
      '-I',
      'test/fixtures/thrift/sub',
      '--i64',
      'number',
    ]);
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'chain_middle.ts'), 'utf8')).toContain(
      'export interface Middle {',
    );
  });

  it('imports ThriftException from nestjs-ttstream, or from --runtime-import', () => {
    expect(run(['gen', 'sample/idl/echo.thrift', '--out', out]).code).toBe(0);
    expect(readFileSync(join(out, 'echo.ts'), 'utf8')).toContain(
      "import { ThriftException } from 'nestjs-ttstream';",
    );
    const args = ['gen', 'sample/idl/echo.thrift', '-o', out, '--runtime-import', '../rt.js'];
    expect(run(args).code).toBe(0);
    expect(readFileSync(join(out, 'echo.ts'), 'utf8')).toContain(
      "import { ThriftException } from '../rt.js';",
    );
  });

  it('exits 1 with file:line for a bad IDL', () => {
    const result = run(['gen', 'test/fixtures/thrift/missing-include.thrift', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${resolve('test/fixtures/thrift/missing-include.thrift')}:3: cannot find include "does-not-exist.thrift"\n`,
    );
    expect(existsSync(join(out, 'missing-include.ts'))).toBe(false);
  });

  it.each([
    [['gen', 'x.thrift']],
    [['build', 'x.thrift', '--out', 'o']],
    [['gen', '--out', 'o']],
    [['gen', 'x.thrift', '--out', 'o', '--i64', 'long']],
    [['gen', 'x.thrift', '--bogus']],
  ])('exits 2 with the usage for %j', (args) => {
    const result = run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: nestjs-ttstream gen <file.thrift> --out <dir>');
  });

  it('prints the usage for --help', () => {
    expect(run(['--help'])).toMatchObject({ code: 0, stderr: '' });
  });
});
