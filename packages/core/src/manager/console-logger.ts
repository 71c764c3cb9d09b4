import { debuglog, inspect } from 'node:util';
import type { Logger } from './logger';

/** True for Node's global `console` or a `new console.Console(…)`. */
export function isConsole(value: unknown): value is Console {
  if (value === globalThis.console) return true;
  const ConsoleClass = (globalThis.console as { Console?: unknown }).Console;
  return typeof ConsoleClass === 'function' && typeof value === 'object' && value !== null && value instanceof ConsoleClass;
}

/**
 * A `Logger` over a `Console`: one line per entry, the message first and the fields after it
 * as `key=value` (`[core] pod registered key=eir:eir-1 outcome=created`), errors by their
 * message; never a bare `{}`. `debug` lines are written only when `NODE_DEBUG` names
 * `governance` (Node's `util.debuglog`), so `logger: console` is not flooded with per-probe lines.
 */
export function consoleLogger(target: Console): Logger {
  const debug = debuglog('governance');
  const line = (obj: object, msg: string | undefined): string => {
    const fields = formatFields(obj);
    const text = msg ?? '';
    return fields === '' ? text : text === '' ? fields : `${text} ${fields}`;
  };
  return {
    debug: (obj, msg) => {
      if (debug.enabled) debug('%s', line(obj, msg));
    },
    info: (obj, msg) => target.info(line(obj, msg)),
    warn: (obj, msg) => target.warn(line(obj, msg)),
    error: (obj, msg) => target.error(line(obj, msg)),
  };
}

function formatFields(obj: object): string {
  if (typeof obj !== 'object' || obj === null) return obj === undefined ? '' : String(obj);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return inspect(value, { breakLength: Infinity, depth: 2 });
}
