// Compiles the instance script (bench/fleet-instance.ts) once for every fleet spec file, with the
// settings of `npm run bench:fleet` (tsconfig.run.json): a forked process needs JavaScript, and
// compiling Nest's types takes a while. Jest loads this file outside its module mapper, so it
// imports nothing of ours.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

export default function globalSetup(): void {
  const root = process.cwd();
  // Inside the repository, so that the compiled files find node_modules.
  const outDir = resolve(root, '.tmp', 'fleet-instance');
  rmSync(outDir, { recursive: true, force: true });
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(root, 'tsconfig.run.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (config === undefined) throw new Error('cannot read tsconfig.run.json');
  const program = ts.createProgram([resolve(root, 'bench/fleet-instance.ts')], {
    ...config.options,
    outDir,
  });
  if (program.emit().emitSkipped) throw new Error('could not compile bench/fleet-instance.ts');
  process.env['FLEET_INSTANCE_DIR'] = outDir;
  process.env['FLEET_INSTANCE_SCRIPT'] = join(outDir, 'bench', 'fleet-instance.js');
}
