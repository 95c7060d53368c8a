import {
  type ConnectionObserver,
  type ConnectionStart,
  type RpcEndStats,
  type RpcObserver,
  type RpcOutcome,
  type RpcStart,
  type TTStreamTelemetry,
  type TTStreamTelemetryOption,
} from './rpc-lifecycle.js';
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
  const guarded = plugins.map((plugin) => guard(plugin, onError));
  const connection = connectionHub(plugins, onError);
  const [only] = guarded;
  if (guarded.length === 1 && only !== undefined) return { start: only, connection };
  return {
    connection,
    start(event) {
      let observers: RpcObserver[] | undefined;
      for (const start of guarded) {
        const observer = start(event);
        if (observer !== undefined) (observers ??= []).push(observer);
      }
      if (observers === undefined) return undefined;
      return observers.length === 1 ? observers[0] : fanOut(observers);
    },
  };
}

function pluginsOf(option: Exclude<TTStreamTelemetryOption, false>): readonly TTStreamTelemetry[] {
  if (option === 'auto') {
    const otel = tryOpenTelemetry();
    return otel === undefined ? [] : [otel];
  }
  return isList(option) ? option : [option];
}

function connectionHub(
  plugins: readonly TTStreamTelemetry[],
  onError: (error: unknown) => void,
): TelemetryHub['connection'] {
  const watchers = plugins.filter((plugin) => plugin.connection !== undefined);
  if (watchers.length === 0) return undefined;
  return (event) => {
    const observers: ConnectionObserver[] = [];
    for (const plugin of watchers) {
      try {
        const observer = plugin.connection?.(event);
        if (observer !== undefined) observers.push(observer);
      } catch (error) {
        onError(error);
      }
    }
    if (observers.length === 0) return undefined;
    return {
      end(stats) {
        for (const observer of observers) observer.end(stats);
      },
    };
  };
}

function isList(
  option: TTStreamTelemetry | readonly TTStreamTelemetry[],
): option is readonly TTStreamTelemetry[] {
  return Array.isArray(option);
}

function guard(
  plugin: TTStreamTelemetry,
  onError: (error: unknown) => void,
): (event: RpcStart) => RpcObserver | undefined {
  let reported = false;
  const report = (error: unknown): void => {
    if (reported) return;
    reported = true;
    onError(error);
  };
  return (event) => {
    try {
      const observer = plugin.start(event);
      return observer === undefined ? undefined : guardObserver(observer, report);
    } catch (error) {
      report(error);
      return undefined;
    }
  };
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

/** One observer that forwards every event to several, in order. */
function fanOut(observers: readonly RpcObserver[]): RpcObserver {
  const withMessage = observers.filter((o) => o.message !== undefined);
  return {
    run<T>(fn: () => T): T {
      // The first observer's context is the outermost.
      let wrapped = fn;
      for (const observer of [...observers].reverse()) {
        const inner = wrapped;
        const run = observer.run?.bind(observer);
        if (run !== undefined) wrapped = () => run(inner);
      }
      return wrapped();
    },
    header(headers) {
      for (const o of observers) o.header?.(headers);
    },
    message:
      withMessage.length === 0
        ? undefined
        : (direction, message, size) => {
            for (const o of withMessage) o.message?.(direction, message, size);
          },
    trailer(trailers) {
      for (const o of observers) o.trailer?.(trailers);
    },
    end(outcome: RpcOutcome, stats: RpcEndStats) {
      for (const o of observers) o.end(outcome, stats);
    },
  };
}
