/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4) and the naming rules
 * of the Prometheus docs ("Metric and label naming"), for tests: every malformed line throws.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;

/** Parses an exposition; throws naming the line for anything malformed. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('the exposition must end with a newline');
  lines.pop();
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!NAME.test(name!)) throw new Error(`bad metric name in ${where}`);
      const family = families.get(name!) ?? { name: name!, type: '', help: '', samples: [] };
      if (kind === 'HELP') family.help = rest.join(' ');
      else {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest[0]!)) throw new Error(`bad type in ${where}`);
        if (family.samples.length > 0) throw new Error(`TYPE after samples in ${where}`);
        family.type = rest[0]!;
      }
      families.set(name!, family);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`malformed sample in ${where}`);
    const [, name, , rawLabels, rawValue] = match;
    const labels = parseLabels(rawLabels ?? '', where);
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    if (Number.isNaN(value) && rawValue !== 'NaN') throw new Error(`bad value in ${where}`);
    const family = familyOf(families, name!);
    if (family === undefined) throw new Error(`sample without a TYPE in ${where}`);
    const id = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(id)) throw new Error(`duplicate series in ${where}`);
    seen.add(id);
    family.samples.push({ name: name!, labels, value });
  }
  return families;
}

function parseLabels(raw: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = raw;
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!m) throw new Error(`malformed labels in ${where}`);
    if (m[1]! in labels) throw new Error(`repeated label ${m[1]} in ${where}`);
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    rest = rest.slice(m[0].length);
  }
  return labels;
}

function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const family = families.get(sample.slice(0, -suffix.length));
      if (family && (family.type === 'histogram' || family.type === 'summary')) return family;
    }
  }
  return undefined;
}

/** Problems with the Prometheus naming conventions and the histogram shape; empty when all is well. */
export function namingProblems(families: Map<string, Family>): string[] {
  const problems: string[] = [];
  for (const f of families.values()) {
    if (f.type === '') problems.push(`${f.name}: no TYPE`);
    if (f.help.trim() === '') problems.push(`${f.name}: no HELP`);
    if (!/^[a-z_][a-z0-9_]*$/.test(f.name)) problems.push(`${f.name}: not snake_case`);
    if (f.type === 'counter' && !f.name.endsWith('_total')) problems.push(`${f.name}: a counter must end in _total`);
    if (f.type !== 'counter' && f.name.endsWith('_total')) problems.push(`${f.name}: only counters end in _total`);
    if (/_(ms|milliseconds|millis|us|ns|minutes|hours|kb|mb)(_|$)/.test(f.name)) problems.push(`${f.name}: use base units (seconds, bytes)`);
    if (f.type === 'histogram' && !/_(seconds|bytes|ratio)$/.test(f.name)) problems.push(`${f.name}: a histogram names its unit`);
    for (const s of f.samples) {
      for (const label of Object.keys(s.labels)) {
        if (!LABEL.test(label) || label.startsWith('__')) problems.push(`${f.name}: bad label name ${label}`);
      }
    }
    if (f.type === 'histogram') problems.push(...histogramProblems(f));
  }
  return problems;
}

function histogramProblems(f: Family): string[] {
  const problems: string[] = [];
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    if (s.name !== `${f.name}_bucket`) continue;
    const { le, ...rest } = s.labels;
    if (le === undefined) problems.push(`${f.name}: bucket without le`);
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, buckets] of series) {
    let previous = -1;
    for (const b of buckets) {
      if (b.value < previous) problems.push(`${f.name}${key}: buckets not cumulative`);
      previous = b.value;
    }
    const inf = buckets.find((b) => b.labels.le === '+Inf');
    const labels = Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && sameLabels(s.labels, labels));
    if (!inf || !count || inf.value !== count.value) problems.push(`${f.name}${key}: +Inf bucket differs from _count`);
  }
  return problems;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}

/** The value of one series (`name` with exactly `labels`), or undefined. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && sameLabels(x.labels, labels));
    if (s) return s.value;
  }
  return undefined;
}

/** Number of series (sample lines) in the exposition, optionally only of names starting with `prefix`. */
export function seriesCount(families: Map<string, Family>, prefix = ''): number {
  let n = 0;
  for (const f of families.values()) for (const s of f.samples) if (s.name.startsWith(prefix)) n++;
  return n;
}
