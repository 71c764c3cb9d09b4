#!/usr/bin/env node
/**
 * Runs the benchmark suites: every bench/suites/*.mjs, or only those named on the command line
 * (`node bench/run.mjs memory-store http`). Each suite runs in its own `node --expose-gc` child
 * process, one after the other, so suites cannot disturb each other. `--quick` asks suites for a
 * short smoke run (results go to bench/results/<name>.quick.json). Exits non-zero only when a
 * suite crashes; timing never fails a run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suitesDir = join(here, 'suites');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--')).map((a) => a.replace(/\.mjs$/, ''));

const available = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4))
  .sort();
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`[bench] unknown suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
const suites = wanted.length > 0 ? wanted : available;

const outcomes = [];
for (const suite of suites) {
  console.log(`\n=== ${suite} ===`);
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--expose-gc', join(suitesDir, `${suite}.mjs`)], {
    stdio: 'inherit',
    env: { ...process.env, ...(quick ? { BENCH_QUICK: '1' } : {}) },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = child.status === 0;
  outcomes.push({ suite, ok, seconds, status: child.status ?? child.signal });
}

console.log('\n=== summary ===');
for (const o of outcomes) {
  const file = join(here, 'results', quick ? `${o.suite}.quick.json` : `${o.suite}.json`);
  let targets = '';
  if (o.ok && existsSync(file)) {
    const cases = JSON.parse(readFileSync(file, 'utf8')).cases ?? [];
    const all = cases.flatMap((c) => c.targets ?? []);
    const met = all.filter((t) => t.met).length;
    targets = all.length ? `, targets met ${met}/${all.length}` : '';
  }
  console.log(`${o.ok ? 'ok    ' : 'FAILED'} ${o.suite} (${o.seconds} s${o.ok ? targets : `, exit ${o.status}`})`);
}
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
