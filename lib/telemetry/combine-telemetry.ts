import {
  type ConnectionObserver,
  type RpcObserver,
  type TTStreamTelemetry,
} from './rpc-lifecycle.js';

/**
 * Several plug-ins as one: each RPC goes to every plug-in, and the observers they return (if more
 * than one) are fanned out in order, the first one's `run` outermost. A list of one is that
 * plug-in itself.
 * @internal
 */
export function combineTelemetry(plugins: readonly TTStreamTelemetry[]): TTStreamTelemetry {
  const [only] = plugins;
  if (plugins.length === 1 && only !== undefined) return only;
  const watchers = plugins.filter((plugin) => plugin.connection !== undefined);
  const combined: TTStreamTelemetry = {
    start(event) {
      let observers: RpcObserver[] | undefined;
      for (const plugin of plugins) {
        const observer = plugin.start(event);
        if (observer !== undefined) (observers ??= []).push(observer);
      }
      if (observers === undefined) return undefined;
      return observers.length === 1 ? observers[0] : fanOut(observers);
    },
  };
  if (watchers.length > 0) {
    combined.connection = (event) => {
      const observers: ConnectionObserver[] = [];
      for (const plugin of watchers) {
        const observer = plugin.connection?.(event);
        if (observer !== undefined) observers.push(observer);
      }
      if (observers.length === 0) return undefined;
      return {
        end(stats) {
          for (const observer of observers) observer.end(stats);
        },
      };
    };
  }
  return combined;
}

/** One observer that forwards every event to several, in order. */
function fanOut(observers: readonly RpcObserver[]): RpcObserver {
  // An event none of them watches stays absent, so that the transport skips it.
  const withMessage = observers.filter((o) => o.message !== undefined);
  const withHeader = observers.filter((o) => o.header !== undefined);
  const withTrailer = observers.filter((o) => o.trailer !== undefined);
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
    header:
      withHeader.length === 0
        ? undefined
        : (headers) => {
            for (const o of withHeader) o.header?.(headers);
          },
    message:
      withMessage.length === 0
        ? undefined
        : (direction, message, size) => {
            for (const o of withMessage) o.message?.(direction, message, size);
          },
    trailer:
      withTrailer.length === 0
        ? undefined
        : (trailers) => {
            for (const o of withTrailer) o.trailer?.(trailers);
          },
    end(outcome, stats) {
      for (const o of observers) o.end(outcome, stats);
    },
  };
}
