import { Logger, type LoggerService } from '@nestjs/common';

/**
 * The `logger` option of `TTStreamServer` and `TTStreamClient`: a Nest `LoggerService` of yours,
 * or `false` for silence. Default: Nest's `Logger` with the class name as context, so the lines go
 * wherever the app's logger (`app.useLogger`, `bufferLogs`) sends them.
 */
export type TTStreamLoggerOption = LoggerService | false;

/** The few levels the transport logs at, bound to one context. @internal */
export interface TTStreamLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
  debug(message: string): void;
}

const SILENT: TTStreamLog = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/**
 * The log for `context` (`TTStreamServer`, `TTStreamClient`) from the `logger` option.
 * @internal not covered by semver
 */
export function resolveLog(option: TTStreamLoggerOption | undefined, context: string): TTStreamLog {
  if (option === false) return SILENT;
  // No context on the Logger itself: it would append its own after ours, printing it twice.
  const target: LoggerService = option ?? new Logger();
  return {
    log: (message) => {
      target.log(message, context);
    },
    warn: (message) => {
      target.warn(message, context);
    },
    error: (message, stack) => {
      if (stack === undefined) target.error(message, context);
      else target.error(message, stack, context);
    },
    debug: (message) => {
      target.debug?.(message, context);
    },
  };
}
