/**
 * The logging interface the manager and its I/O pools write to. It is the subset of pino's
 * API the engine uses, so a pino logger (or a child of one) can be passed as is.
 * The first argument is a structured context object, the second an optional message.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** A logger that discards everything: the default, so the library is silent unless asked. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/** True when `value` has the four methods a `Logger` needs. */
export function isLogger(value: unknown): value is Logger {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.debug === 'function' &&
    typeof v.info === 'function' &&
    typeof v.warn === 'function' &&
    typeof v.error === 'function'
  );
}
