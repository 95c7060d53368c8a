// Removes what global-setup.ts compiled.
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const outDir = process.env['FLEET_INSTANCE_DIR'];
  if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
}
