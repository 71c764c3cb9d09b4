const LEVELS = ['debug', 'info', 'warn', 'error'];

/**
 * A small pino-compatible logger writing one line per entry to stderr:
 * `2026-01-01T00:00:00.000Z warn [core] message {"key":"eir:eir-pod-1"}`.
 * @param {'debug'|'info'|'warn'|'error'} [minLevel]
 */
export function consoleLogger(minLevel = 'info') {
  const min = LEVELS.indexOf(minLevel);
  const logger = {};
  for (const [index, level] of LEVELS.entries()) {
    logger[level] =
      index < min
        ? () => {}
        : (obj, msg) => {
            const context = obj && Object.keys(obj).length > 0 ? ` ${safeJson(obj)}` : '';
            process.stderr.write(`${new Date().toISOString()} ${level} ${msg ?? ''}${context}\n`);
          };
  }
  return logger;
}

function safeJson(obj) {
  try {
    return JSON.stringify(obj, (_key, value) => (value instanceof Error ? value.message : value));
  } catch {
    return String(obj);
  }
}
