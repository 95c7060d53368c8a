// Preload of every case of bench:telemetry (`node --import <this file>`). Every child registers
// the same module resolve hook, which runs on a thread of its own. With the hook in the `absent`
// case only, that case ran bidi echo at 1.27x-1.39x of `telemetry: false` in six runs out of
// seven, on less CPU per message, though it runs the same code; a difference in how the
// processes were started must not be able to do that. With BENCH_HIDE_OTEL_API=1 (the `absent`
// case), from here on `@opentelemetry/api` cannot be resolved, as if it were not installed:
// require() (how lib/telemetry/otel/load-otel-api.ts loads it) fails with MODULE_NOT_FOUND,
// import with ERR_MODULE_NOT_FOUND, so a stray static import would fail the case instead of
// hiding in it.
// Otherwise the hook passes every specifier through.
import Module, { register } from 'node:module';

const HIDDEN = '@opentelemetry/api';
const HIDE = process.env['BENCH_HIDE_OTEL_API'] === '1';

function hidden(request: string): boolean {
  return request === HIDDEN || request.startsWith(`${HIDDEN}/`);
}

type ResolveFilename = (this: unknown, request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: ResolveFilename };
const original = loader._resolveFilename;
loader._resolveFilename = function resolveFilename(this: unknown, request, ...rest) {
  if (HIDE && hidden(request)) {
    const error: NodeJS.ErrnoException = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return original.call(this, request, ...rest);
};

// The same for ESM, as a resolve hook (it runs on the loader thread, so it is plain source).
const HOOKS = `
export async function resolve(specifier, context, next) {
  if (${String(HIDE)} && (specifier === '${HIDDEN}' || specifier.startsWith('${HIDDEN}/'))) {
    const error = new Error("Cannot find package '" + specifier + "'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
