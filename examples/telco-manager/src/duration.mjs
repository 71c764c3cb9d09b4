/**
 * Go's `time.ParseDuration` syntax, returned in milliseconds:
 * `300ms`, `30s`, `1m30s`, `1.5h`, `2h45m`, `500us`, `0`. A leading `+`/`-` is accepted.
 * Units: ns, us, µs, μs, ms, s, m, h. Throws a `SyntaxError` for anything else.
 */

const UNIT_MS = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['µs', 1e-3],
  ['μs', 1e-3],
  ['ms', 1],
  ['s', 1_000],
  ['m', 60_000],
  ['h', 3_600_000],
]);

const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/**
 * @param {string} text
 * @returns {number} the duration in milliseconds (may be fractional below 1 ms)
 */
export function parseGoDuration(text) {
  if (typeof text !== 'string') throw new SyntaxError('a duration must be a string');
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new SyntaxError(`invalid duration ${JSON.stringify(text)}`);

  let total = 0;
  while (rest !== '') {
    const match = COMPONENT.exec(rest);
    if (!match) throw new SyntaxError(`invalid duration ${JSON.stringify(text)}`);
    const [whole, intPart, fracPart, unit] = match;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) {
      throw new SyntaxError(`invalid duration ${JSON.stringify(text)}`);
    }
    const factor = UNIT_MS.get(unit);
    if (factor === undefined) {
      throw new SyntaxError(`unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    }
    total += Number(`${intPart || '0'}.${fracPart || '0'}`) * factor;
    rest = rest.slice(whole.length);
  }
  if (!Number.isFinite(total)) throw new SyntaxError(`duration ${JSON.stringify(text)} is out of range`);
  return sign * total;
}

/**
 * Formats milliseconds the way Go prints a duration (`1m30s`, `300ms`, `1h0m0s`), for logs.
 * @param {number} ms
 */
export function formatGoDuration(ms) {
  if (ms === 0) return '0s';
  if (Math.abs(ms) < 1_000) return `${ms}ms`;
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Number((rest / 1_000).toFixed(3));
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
