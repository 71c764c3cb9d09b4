/**
 * A duration setting: a number of milliseconds, or a string in Go's `time.ParseDuration`
 * syntax (`'500ms'`, `'30s'`, `'1m30s'`, `'1.5h'`).
 */
export type Duration = number | string;

const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['µs', 1e-3],
  ['μs', 1e-3],
  ['ms', 1],
  ['s', 1_000],
  ['m', 60_000],
  ['h', 3_600_000],
]);

const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * Parses Go's duration syntax into milliseconds: `300ms`, `30s`, `1m30s`, `1.5h`, `2h45m`,
 * `500us`, `0`; a leading `+` or `-` is accepted. Units: ns, us (µs), ms, s, m, h. The result
 * may be fractional below 1 ms.
 * @throws SyntaxError saying what is wrong (`missing unit in duration "30"; write "30s" or "30ms"`)
 */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw new SyntaxError('a duration must be a string such as "30s"');
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new SyntaxError(`invalid duration ${JSON.stringify(text)}; examples: "30s", "500ms", "1m30s"`);
  let total = 0;
  while (rest !== '') {
    const match = COMPONENT.exec(rest);
    const [whole = '', intPart = '', fracPart, unit = ''] = match ?? [];
    if (whole === '' || (intPart === '' && (fracPart === undefined || fracPart === ''))) {
      throw new SyntaxError(`invalid duration ${JSON.stringify(text)}; examples: "30s", "500ms", "1m30s"`);
    }
    if (unit === '') {
      const number = fracPart === undefined ? intPart : `${intPart}.${fracPart}`;
      throw new SyntaxError(
        `missing unit in duration ${JSON.stringify(text)}; write "${number}s" or "${number}ms" (units: ns, us, ms, s, m, h)`,
      );
    }
    const factor = UNIT_MS.get(unit);
    if (factor === undefined) {
      throw new SyntaxError(`unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)} (units: ns, us, ms, s, m, h)`);
    }
    total += Number(`${intPart || '0'}.${fracPart || '0'}`) * factor;
    rest = rest.slice(whole.length);
  }
  if (!Number.isFinite(total)) throw new SyntaxError(`duration ${JSON.stringify(text)} is out of range`);
  return sign * total;
}

/**
 * Formats milliseconds the way Go prints a duration (`1m30s`, `300ms`, `1h0m0s`), for logs and
 * messages.
 */
export function formatDuration(ms: number): string {
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
