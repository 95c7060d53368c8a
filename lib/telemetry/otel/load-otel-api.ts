import { createRequire } from 'node:module';
import type * as OtelApiModule from '@opentelemetry/api';

/** The `@opentelemetry/api` module (an optional peer dependency, so loaded at run time). */
export type OtelApi = typeof OtelApiModule;

// undefined: not tried yet; null: tried, not installed.
let cached: OtelApi | null | undefined;

/**
 * `@opentelemetry/api` when it is installed, else undefined; loaded once, synchronously (the
 * transport decides per server or client, at construction, whether telemetry is on).
 *
 * It is loaded with `require` even from ESM: the API keeps its registry (tracer, meter and
 * propagator providers, context manager) on `globalThis` under a versioned symbol, so this copy
 * sees the SDK an application registered through its own ESM import of the same major version.
 * @internal
 */
export function loadOtelApi(): OtelApi | undefined {
  if (cached === undefined) cached = requireOtelApi();
  return cached ?? undefined;
}

function requireOtelApi(): OtelApi | null {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch (error) {
    // Only "not installed" means no OpenTelemetry; a broken install must be seen.
    if (isModuleNotFound(error, '@opentelemetry/api')) return null;
    throw error;
  }
}

function isModuleNotFound(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'MODULE_NOT_FOUND' && error.message.includes(name);
}
