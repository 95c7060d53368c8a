import { describe, expect, it, jest } from '@jest/globals';

/**
 * Without `@opentelemetry/api` installed: `'auto'` is nothing and `openTelemetry()` says what to
 * install. Simulated by a `createRequire` whose require fails as Node's does for a missing package.
 */
async function loadWith(failure: Error) {
  jest.resetModules();
  jest.unstable_mockModule('node:module', () => ({
    createRequire: () => () => {
      throw failure;
    },
  }));
  const { loadOtelApi } = await import('../../../lib/telemetry/otel/load-otel-api.js');
  const { openTelemetry, tryOpenTelemetry } =
    await import('../../../lib/telemetry/otel/open-telemetry.js');
  const { resolveTelemetry } = await import('../../../lib/telemetry/telemetry-hub.js');
  return { loadOtelApi, openTelemetry, tryOpenTelemetry, resolveTelemetry };
}

function notFound(): Error {
  const error = new Error("Cannot find module '@opentelemetry/api'") as NodeJS.ErrnoException;
  error.code = 'MODULE_NOT_FOUND';
  return error;
}

describe('without @opentelemetry/api', () => {
  it("leaves 'auto' with nothing to call, and openTelemetry() names the package", async () => {
    const otel = await loadWith(notFound());
    expect(otel.loadOtelApi()).toBeUndefined();
    expect(otel.tryOpenTelemetry()).toBeUndefined();
    expect(otel.resolveTelemetry('auto', () => undefined)).toBeUndefined();
    expect(() => otel.openTelemetry()).toThrow(/npm install @opentelemetry\/api/);
  });

  it('rethrows any other failure to load it', async () => {
    const otel = await loadWith(new SyntaxError('broken install'));
    expect(() => otel.loadOtelApi()).toThrow('broken install');
  });
});
