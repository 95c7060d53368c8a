import { type TTStreamLog } from '../logging/ttstream-logger.js';
import { type TTStreamIdlLike } from '../server/idl-descriptor.js';
import { goPackageName } from '../telemetry/go-package-name.js';
import { resolveTelemetry } from '../telemetry/telemetry-hub.js';
import { type ClientTelemetry } from './observed-client-call.js';
import { type TTStreamClientOptions } from './ttstream-client-options.interface.js';

/**
 * The telemetry of a `TTStreamClient`, or undefined when its `telemetry` option leaves nothing
 * to call. `peer` is the server's `host:port` (undefined with a resolver: it varies per call).
 * @internal not covered by semver
 */
export function createClientTelemetry(
  options: TTStreamClientOptions,
  idl: TTStreamIdlLike,
  log: TTStreamLog,
  peer: string | undefined,
): ClientTelemetry | undefined {
  const hub = resolveTelemetry(options.telemetry, (error) => {
    log.warn(`A telemetry plug-in failed (skipped for this RPC): ${String(error)}`);
  });
  return (
    hub && {
      hub,
      shared: { peer, idlPackage: goPackageName(idl), localService: options.serviceName },
    }
  );
}
