import { silentLogger, type Logger } from './logger';

/**
 * True when `logger` would write a `debug` line: false for the silent logger and for a pino
 * logger whose level is above debug (its `isLevelEnabled`). Lets per-probe and per-delivery
 * lines cost nothing when nobody reads them.
 */
export function debugEnabled(logger: Logger): boolean {
  if (logger === silentLogger) return false;
  const check = (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  return typeof check === 'function' ? check.call(logger, 'debug') : true;
}
