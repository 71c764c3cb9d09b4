/**
 * The shared benchmark harness. Every suite in bench/suites/ uses it:
 *
 *   const result = await runCases({ name: 'memory-store', cases: [...] });   // micro-ops, tinybench
 *   const stats = await measureLatencies((i) => client.register(...), 2000, 32); // concurrent async work
 *   result.cases.push(latencyCase({ name: 'register x32', stats, targets: [...] }));
 *   report(result, { notes: [...] });  // prints the table, writes bench/results/<name>.json
 *
 * All durations in the JSON are nanoseconds (fields end in `Ns`); rates are per second.
 * Benchmarks never fail on timing: targets are reported with `met: true|false`, nothing more.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench, hrtimeNow } from 'tinybench';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** True when the run asked for a short smoke run (`node bench/run.mjs --quick`). */
export const QUICK = process.env.BENCH_QUICK === '1';

const DEFAULTS = {
  /** Measured time per task and round, in ms. */
  time: QUICK ? 100 : 700,
  warmupTime: QUICK ? 50 : 200,
  /** Alternating case/baseline rounds, so a noisy neighbour hurts both alike. */
  rounds: QUICK ? 1 : 2,
  /** Micro-ops are timed in batches lasting about this long (µs), then divided by the batch size. */
  batchTargetUs: 25,
  minSamples: 64,
};

/** Anything a benchmark returns goes here so the optimizer cannot drop the work. */
export let sink;

/** Node, OS, CPU and memory of this machine, plus its load when the suite started. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpus: { model: cpus[0]?.model?.trim() ?? 'unknown', count: cpus.length },
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
    gcExposed: typeof globalThis.gc === 'function',
  };
}

function collectGarbage() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

/** Wraps `fn` so one call runs it `batch` times; returns [wrapper, isAsync]. */
async function batched(fn, batch) {
  let i = 0;
  const probe = fn(i++);
  const isAsync = isThenable(probe);
  if (isAsync) await probe;
  const wrapper = isAsync
    ? async () => {
        for (let n = 0; n < batch; n++) sink = await fn(i++);
      }
    : () => {
        for (let n = 0; n < batch; n++) sink = fn(i++);
      };
  return { wrapper, isAsync };
}

/**
 * Finds a batch size whose run lasts about `targetUs` microseconds. `fn` is run for `warmupMs`
 * first: calibrated on cold (not yet optimized) code, the batch comes out far too small and every
 * sample then carries the timer's own overhead.
 */
async function calibrate(fn, targetUs, warmupMs) {
  const until = performance.now() + warmupMs;
  for (let i = 0; performance.now() < until; ) {
    for (let n = 0; n < 64; n++) {
      const value = fn(i++);
      if (isThenable(value)) await value;
    }
  }
  let batch = 1;
  for (;;) {
    const { wrapper, isAsync } = await batched(fn, batch);
    for (let w = 0; w < 3; w++) await wrapper();
    // The fastest of a few runs, so one GC pause or preemption does not decide the batch size.
    let us = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 5; r++) {
      const start = process.hrtime.bigint();
      await wrapper();
      us = Math.min(us, Number(process.hrtime.bigint() - start) / 1000);
    }
    if (us >= targetUs || batch >= 1 << 20) return { batch, isAsync };
    batch = us <= 0 ? batch * 16 : Math.min(batch * 16, Math.max(batch * 2, Math.ceil((batch * targetUs) / us)));
  }
}

/** Sorted-sample quantile with linear interpolation. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/** Summary of duration samples given in nanoseconds. */
export function summarize(samplesNs) {
  const sorted = Float64Array.from(samplesNs).sort();
  let total = 0;
  for (const s of sorted) total += s;
  const meanNs = sorted.length ? total / sorted.length : Number.NaN;
  return {
    medianNs: round(quantile(sorted, 0.5)),
    p99Ns: round(quantile(sorted, 0.99)),
    meanNs: round(meanNs),
    minNs: round(sorted[0] ?? Number.NaN),
    maxNs: round(sorted[sorted.length - 1] ?? Number.NaN),
    opsPerSec: round(1e9 / meanNs),
    samples: sorted.length,
  };
}

function round(value) {
  if (!Number.isFinite(value)) return null;
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}

/**
 * Measures one function with tinybench, in batches, for `rounds` rounds; `partner` (the baseline)
 * is measured in the same rounds, alternating, so both see the same machine conditions.
 */
async function measurePair(caseName, fn, partner, opts) {
  const subjects = [{ name: caseName, fn }];
  if (partner) subjects.push({ name: partner.name, fn: partner.fn });
  const prepared = [];
  for (const s of subjects) {
    const { batch } = await calibrate(s.fn, opts.batchTargetUs, opts.warmupTime);
    const { wrapper } = await batched(s.fn, batch);
    prepared.push({ ...s, batch, wrapper, samplesNs: [] });
  }
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? prepared : [...prepared].reverse();
    for (const p of order) {
      const bench = new Bench({
        name: p.name,
        time: opts.time,
        warmupTime: opts.warmupTime,
        iterations: opts.minSamples,
        now: hrtimeNow,
        throws: true,
      });
      bench.add(p.name, p.wrapper, { beforeAll: collectGarbage });
      await bench.run();
      const result = bench.tasks[0].result;
      for (const ms of result.latency.samples) p.samplesNs.push((ms * 1e6) / p.batch);
    }
  }
  return prepared.map((p) => ({ name: p.name, batch: p.batch, ...summarize(p.samplesNs) }));
}

const OPS = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Reads `metric` ('medianNs', 'ratioToBaseline', 'metrics.throughputPerSec') from a case result. */
function readMetric(caseResult, metric) {
  return metric.split('.').reduce((value, key) => (value == null ? undefined : value[key]), caseResult);
}

/**
 * Evaluates target specs `{ metric, op, limit, name?, stretch? }` against a case result.
 * Returns `{ name, metric, op, limit, value, met, stretch }` entries.
 */
export function evaluateTargets(caseResult, specs = []) {
  return specs.map((spec) => {
    const op = spec.op ?? '<';
    const value = readMetric(caseResult, spec.metric);
    const met = typeof value === 'number' && Number.isFinite(value) ? OPS[op](value, spec.limit) : false;
    return {
      name: spec.name ?? `${spec.metric} ${op} ${spec.limit}`,
      metric: spec.metric,
      op,
      limit: spec.limit,
      value: value ?? null,
      met,
      stretch: spec.stretch === true,
    };
  });
}

function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b) : null;
}

/**
 * Completes a case result: ratio to its baseline, distance to its reference, targets.
 * Shared by micro cases and latency cases so the JSON has one shape.
 */
function finishCase(base, spec) {
  const caseResult = {
    ...base,
    ratioToBaseline: base.baseline ? ratio(base.medianNs, base.baseline.medianNs) : null,
    reference: spec.reference
      ? { ...spec.reference, ratio: ratio(base.medianNs, spec.reference.medianNs) }
      : null,
    metrics: { ...(base.metrics ?? {}), ...(spec.metrics ?? {}) },
    note: spec.note ?? null,
  };
  const specs = spec.targets ?? (spec.target ? [spec.target] : []);
  caseResult.targets = evaluateTargets(caseResult, specs);
  return caseResult;
}

/**
 * Runs micro-benchmark cases. Each case: `{ name, fn, baseline?: { name, fn }, targets?, reference?,
 * setup?, teardown?, note?, metrics? }`. `fn(i)` gets a running counter (handy for rotating over
 * prepared inputs) and may be sync or async. Case and baseline are measured in the same rounds.
 * Returns `{ name, options, cases }` ready for {@link report}.
 */
export async function runCases({ name, cases, options = {} }) {
  const opts = { ...DEFAULTS, ...options };
  const results = [];
  for (const spec of cases) {
    if (spec.setup) await spec.setup();
    try {
      process.stderr.write(`  ${name}: ${spec.name} …\n`);
      const [subject, baseline] = await measurePair(spec.name, spec.fn, spec.baseline, opts);
      results.push(
        finishCase(
          {
            name: spec.name,
            kind: 'micro',
            ...subject,
            baseline: baseline ?? null,
          },
          spec,
        ),
      );
    } finally {
      if (spec.teardown) await spec.teardown();
    }
  }
  return { name, options: opts, cases: results };
}

/**
 * Runs `fn(i)` for i in 0..n-1 with at most `concurrency` calls in flight and times each call.
 * With `durationMs`, stops starting new calls once that much time has passed (n is then a cap).
 * Returns p50/p90/p99/max/mean (ns), the wall time and the throughput (calls/s). Failed calls are
 * counted in `errors` (the first error's message is kept) and excluded from the latencies.
 */
export async function measureLatencies(fn, n, concurrency = 1, { warmup = Math.min(50, n), durationMs } = {}) {
  for (let i = 0; i < warmup; i++) {
    try {
      await fn(-1 - i);
    } catch {
      // warm-up failures show up again in the measured run
    }
  }
  collectGarbage();
  const durations = [];
  let errors = 0;
  let firstError = null;
  let next = 0;
  const started = process.hrtime.bigint();
  const deadline = durationMs === undefined ? undefined : started + BigInt(Math.round(durationMs * 1e6));
  async function worker() {
    while (next < n && (deadline === undefined || process.hrtime.bigint() < deadline)) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await fn(i);
        durations.push(Number(process.hrtime.bigint() - t0));
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
  const wallNs = Number(process.hrtime.bigint() - started);
  const sorted = Float64Array.from(durations).sort();
  let total = 0;
  for (const d of sorted) total += d;
  return {
    count: next,
    concurrency,
    completed: durations.length,
    errors,
    firstError,
    p50Ns: round(quantile(sorted, 0.5)),
    p90Ns: round(quantile(sorted, 0.9)),
    p99Ns: round(quantile(sorted, 0.99)),
    maxNs: round(sorted[sorted.length - 1] ?? Number.NaN),
    meanNs: round(sorted.length ? total / sorted.length : Number.NaN),
    wallMs: round(wallNs / 1e6),
    throughputPerSec: round((durations.length * 1e9) / wallNs),
  };
}

/**
 * Turns {@link measureLatencies} output into a case result with the same shape as micro cases
 * (`medianNs` is the p50). `baseline` is another measureLatencies result, with a `name`.
 * Extra numbers go in `metrics`; targets may read any field, e.g. `metrics.throughputPerSec`.
 */
export function latencyCase({ name, stats, baseline, targets, reference, metrics, note }) {
  const toCase = (s) => ({
    medianNs: s.p50Ns,
    p99Ns: s.p99Ns,
    meanNs: s.meanNs,
    maxNs: s.maxNs,
    opsPerSec: s.throughputPerSec,
    samples: s.completed,
  });
  return finishCase(
    {
      name,
      kind: 'latency',
      ...toCase(stats),
      baseline: baseline ? { name: baseline.name, ...toCase(baseline) } : null,
      metrics: {
        concurrency: stats.concurrency,
        errors: stats.errors,
        firstError: stats.firstError,
        p90Ns: stats.p90Ns,
        wallMs: stats.wallMs,
        throughputPerSec: stats.throughputPerSec,
        ...(baseline ? { baselineThroughputPerSec: baseline.throughputPerSec } : {}),
      },
    },
    { targets, reference, metrics, note },
  );
}

/** `1234` → `1.23 µs`; nanoseconds in, the most readable unit out. */
export function formatNs(ns) {
  if (ns == null || !Number.isFinite(ns)) return '—';
  if (ns < 1_000) return `${ns < 10 ? ns.toFixed(2) : ns < 100 ? ns.toFixed(1) : Math.round(ns)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(ns < 10_000_000 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

function formatRate(perSec) {
  if (perSec == null || !Number.isFinite(perSec)) return '—';
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k/s`;
  return `${perSec.toFixed(1)} /s`;
}

function formatTarget(t) {
  const shown = t.metric.endsWith('Ns') ? formatNs(t.limit) : String(t.limit);
  return `${t.met ? '✔' : '✘'} ${t.stretch ? '(stretch) ' : ''}${t.name.includes(' ') ? t.name : `${t.metric} ${t.op} ${shown}`}`;
}

/** Prints a result's cases as an aligned table (one row per case, targets listed below it). */
export function printTable(result) {
  const header = ['case', 'median', 'p99', 'ops/s', 'baseline (median)', '× baseline', 'reference', '× ref'];
  const rows = result.cases.map((c) => [
    c.name,
    formatNs(c.medianNs),
    formatNs(c.p99Ns),
    formatRate(c.opsPerSec),
    c.baseline ? `${c.baseline.name}: ${formatNs(c.baseline.medianNs)}` : '—',
    c.ratioToBaseline == null ? '—' : `${c.ratioToBaseline}×`,
    c.reference ? `${c.reference.name}: ${c.reference.medianNs == null ? 'n/a' : formatNs(c.reference.medianNs)}` : '—',
    c.reference?.ratio == null ? '—' : `${c.reference.ratio}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  const out = [`\n${result.name}`, line(header), widths.map((w) => '─'.repeat(w)).join('  ')];
  result.cases.forEach((c, i) => {
    out.push(line(rows[i]));
    if (c.targets?.length) out.push(`    targets: ${c.targets.map(formatTarget).join('; ')}`);
  });
  console.log(out.join('\n'));
}

/**
 * Writes bench/results/<name>.json (`<name>.quick.json` for --quick runs): `{ name, date, machine,
 * quick, options, notes, cases }` plus any extra fields of `payload`. Returns the file path.
 */
export function writeResult(name, payload) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  // Quick smoke runs never overwrite the real figures.
  const file = join(RESULTS_DIR, QUICK ? `${name}.quick.json` : `${name}.json`);
  const { cases, ...rest } = payload;
  const doc = { name, date: new Date().toISOString(), machine: machineInfo(), quick: QUICK, ...rest, cases };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

/** Prints the table and writes the JSON of a suite result (`extra` adds fields such as `notes`). */
export function report(result, extra = {}) {
  printTable(result);
  const file = writeResult(result.name, { ...extra, options: result.options, cases: result.cases });
  console.log(`\nwrote ${file}`);
  return file;
}
