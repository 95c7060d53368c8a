// The WebAssembly bytes of lib/protocol/utf8-escape.wat, compiled with wabt's wat2wasm (a dev
// dependency): used by `npm run gen:wasm` and by the test that checks the embedded bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

/** `lib/protocol/utf8-escape.wat` (run from the repository root, as npm scripts and Jest are). */
export const UTF8_ESCAPE_WAT = join(process.cwd(), 'lib/protocol/utf8-escape.wat');

/** Compiles the WAT source into a WebAssembly module's bytes. */
export async function compileUtf8EscapeWat(path = UTF8_ESCAPE_WAT): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('utf8-escape.wat', readFileSync(path, 'utf8'), { simd: true });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
