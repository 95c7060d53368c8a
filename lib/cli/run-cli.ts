import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateTypeScript } from '../codegen/generate-typescript.js';
import { loadThriftIdl } from '../idl/load-thrift-idl.js';
import { ThriftIdlError } from '../thrift/thrift-errors.js';

/** Where {@link runCli} writes its messages. */
export interface CliOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The CLI's usage text. */
export const CLI_USAGE = `Usage: nestjs-ttstream gen <file.thrift> --out <dir> [options]

Writes <dir>/<file>.ts: TypeScript types for the IDL's structs, enums, typedefs and consts,
exception classes, a client and a handler interface per service, and the schema as data.

Options:
  -o, --out <dir>          output directory (required)
  -I, --include-dir <dir>  where to look for included files (repeatable)
      --i64 <bigint|number> how i64 maps where no js.type annotation says (default bigint)
      --runtime-import <m>  the module exception classes import ThriftException from
                            (default nestjs-ttstream)
  -h, --help               show this text
`;

/**
 * Runs `nestjs-ttstream` with `args` (without node and the script) and returns the exit code:
 * 0 on success, 1 when the IDL cannot be loaded, 2 on a usage error.
 */
export function runCli(args: readonly string[], output: CliOutput): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        'include-dir': { type: 'string', short: 'I', multiple: true },
        i64: { type: 'string' },
        'runtime-import': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    output.stderr(`${(error as Error).message}\n\n${CLI_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    output.stdout(CLI_USAGE);
    return 0;
  }
  const [command, idlFile, ...extra] = positionals;
  const i64 = values.i64;
  if (
    command !== 'gen' ||
    idlFile === undefined ||
    extra.length > 0 ||
    values.out === undefined ||
    (i64 !== undefined && i64 !== 'bigint' && i64 !== 'number')
  ) {
    output.stderr(CLI_USAGE);
    return 2;
  }
  try {
    const idl = loadThriftIdl(idlFile, {
      includeDirs: (values['include-dir'] ?? []).map((dir) => resolve(dir)),
      ...(i64 === undefined ? {} : { i64 }),
    });
    const sourceName = basename(idlFile);
    const runtimeImport = values['runtime-import'];
    const code = generateTypeScript(idl, {
      sourceName,
      ...(runtimeImport === undefined ? {} : { runtimeImport }),
    });
    mkdirSync(values.out, { recursive: true });
    const target = join(values.out, `${sourceName.replace(/\.thrift$/, '')}.ts`);
    writeFileSync(target, code);
    output.stdout(`wrote ${target}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ThriftIdlError) {
      output.stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
