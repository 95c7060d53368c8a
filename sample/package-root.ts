import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding package.json, found from this file (works from `build/` too). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 16; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('cannot find the package root (no package.json above the sample)');
}

/** `sample/idl/echo.thrift` of the package. */
export const ECHO_IDL_FILE = join(packageRoot(), 'sample', 'idl', 'echo.thrift');
