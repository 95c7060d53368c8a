// Preload of the `absent` case of bench:telemetry (`node --import <this file>`): from here on,
// `@opentelemetry/api` cannot be resolved, as if it were not installed. require() (how
// lib/telemetry/otel/load-otel-api.ts loads it) fails with MODULE_NOT_FOUND, import with
// ERR_MODULE_NOT_FOUND, so a stray static import would fail the case instead of hiding in it.
import Module, { register } from 'node:module';

const HIDDEN = '@opentelemetry/api';

function hidden(request: string): boolean {
  return request === HIDDEN || request.startsWith(`${HIDDEN}/`);
}

type ResolveFilename = (this: unknown, request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: ResolveFilename };
const original = loader._resolveFilename;
loader._resolveFilename = function resolveFilename(this: unknown, request, ...rest) {
  if (hidden(request)) {
    const error: NodeJS.ErrnoException = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return original.call(this, request, ...rest);
};

// The same for ESM, as a resolve hook (it runs on the loader thread, so it is plain source).
const HOOKS = `
export async function resolve(specifier, context, next) {
  if (specifier === '${HIDDEN}' || specifier.startsWith('${HIDDEN}/')) {
    const error = new Error("Cannot find package '" + specifier + "'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
