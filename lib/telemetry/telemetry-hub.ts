import {
  type ConnectionObserver,
  type ConnectionStart,
  type RpcObserver,
  type RpcStart,
  type TTStreamTelemetry,
  type TTStreamTelemetryOption,
} from './rpc-lifecycle.js';
import { combineTelemetry } from './combine-telemetry.js';
import { tryOpenTelemetry } from './otel/open-telemetry.js';

/**
 * The one seam between the transport and telemetry: the server and the client ask it for the
 * observer of each RPC. Undefined (see {@link resolveTelemetry}) when nothing listens, so that an
 * RPC without telemetry costs one comparison.
 * @internal not covered by semver
 */
export interface TelemetryHub {
  start(event: RpcStart): RpcObserver | undefined;
  /** Undefined when no plug-in watches connections. */
  readonly connection: ((event: ConnectionStart) => ConnectionObserver | undefined) | undefined;
}

/**
 * The hub for a `telemetry` option, or undefined when it leaves nothing to call. `onError` hears
 * of a plug-in that threw (once per plug-in: a plug-in failing on every RPC must not flood logs).
 * @internal
 */
export function resolveTelemetry(
  option: TTStreamTelemetryOption | undefined,
  onError: (error: unknown) => void,
): TelemetryHub | undefined {
  if (option === false) return undefined;
  const plugins = pluginsOf(option ?? 'auto');
  if (plugins.length === 0) return undefined;
  const combined = combineTelemetry(plugins.map((plugin) => guard(plugin, onError)));
  return {
    start: (event) => combined.start(event),
    connection: combined.connection?.bind(combined),
  };
}

function pluginsOf(option: Exclude<TTStreamTelemetryOption, false>): readonly TTStreamTelemetry[] {
  if (option === 'auto') {
    const otel = tryOpenTelemetry();
    return otel === undefined ? [] : [otel];
  }
  return isList(option) ? option : [option];
}

function isList(
  option: TTStreamTelemetry | readonly TTStreamTelemetry[],
): option is readonly TTStreamTelemetry[] {
  return Array.isArray(option);
}

/** `plugin` unable to throw into the transport: a throw is reported (once) and skipped. */
function guard(plugin: TTStreamTelemetry, onError: (error: unknown) => void): TTStreamTelemetry {
  let reported = false;
  const report = (error: unknown): void => {
    if (reported) return;
    reported = true;
    onError(error);
  };
  const guarded: TTStreamTelemetry = {
    start(event) {
      try {
        const observer = plugin.start(event);
        return observer === undefined ? undefined : guardObserver(observer, report);
      } catch (error) {
        report(error);
        return undefined;
      }
    },
  };
  if (plugin.connection !== undefined) {
    guarded.connection = (event) => {
      try {
        const observer = plugin.connection?.(event);
        if (observer === undefined) return undefined;
        return {
          end(stats) {
            try {
              observer.end(stats);
            } catch (error) {
              report(error);
            }
          },
        };
      } catch (error) {
        report(error);
        return undefined;
      }
    };
  }
  return guarded;
}

/**
 * `observer` with its event methods unable to throw into the transport (a throw is reported);
 * `run` is left as is: it runs the RPC's own code, whose errors are the RPC's.
 */
function guardObserver(observer: RpcObserver, report: (error: unknown) => void): RpcObserver {
  const safely = (event: () => void): void => {
    try {
      event();
    } catch (error) {
      report(error);
    }
  };
  return {
    run: observer.run?.bind(observer),
    header:
      observer.header &&
      ((headers) => {
        safely(() => observer.header?.(headers));
      }),
    message:
      observer.message &&
      ((direction, value, size) => {
        safely(() => observer.message?.(direction, value, size));
      }),
    trailer:
      observer.trailer &&
      ((trailers) => {
        safely(() => observer.trailer?.(trailers));
      }),
    end: (outcome, stats) => {
      safely(() => {
        observer.end(outcome, stats);
      });
    },
  };
}
