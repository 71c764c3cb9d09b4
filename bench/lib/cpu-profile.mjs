/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) by self time: per area (a package, a Node
 * internal module, GC, idle) and per function, as shares of the non-idle samples.
 *
 *   summarizeCpuProfile(file, { top: 15, fromNs, toNs }) → { sampledMs, idleShare, areas, functions }
 *
 * `fromNs`/`toNs` (from `process.hrtime.bigint()`, any process on the machine: V8 stamps samples
 * with the same monotonic clock) keep only the samples of that window, e.g. a measured round
 * without the process's start-up and warm-up.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The area a frame's URL belongs to: `@governance/core`, `express`, `node:internal/http`, … */
function areaOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 builtins and C++';
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' ? parts.slice(0, 2).join('/') : parts[0]}`;
  }
  const pkg = /\/packages\/([^/]+)\/dist\//.exec(url);
  if (pkg) return `@governance/${pkg[1]}`;
  const dep = /\/node_modules\/((?:@[^/]+\/)?[^/.][^/]*)\/(?!.*\/node_modules\/)/.exec(url);
  if (dep) return dep[1];
  if (url.includes('/examples/')) return 'example';
  if (url.includes('/bench/')) return 'bench';
  return url;
}

/** The newest `.cpuprofile` in `dir`. */
export function newestProfile(dir) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`[bench] no .cpuprofile in ${dir}`);
  return files[0];
}

export function summarizeCpuProfile(file, { top = 15, fromNs, toNs } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const fromUs = fromNs === undefined ? Number.NEGATIVE_INFINITY : Number(fromNs / 1000n);
  const toUs = toNs === undefined ? Number.POSITIVE_INFINITY : Number(toNs / 1000n);
  const hits = new Map();
  let at = profile.startTime;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) return;
    first = Math.min(first, at);
    last = Math.max(last, at);
    hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  if (hits.size === 0) throw new Error(`[bench] ${file} has no samples in the requested window`);
  const areas = new Map();
  const functions = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, count] of hits) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    if (functionName === '(idle)') {
      idle += count;
      continue;
    }
    total += count;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + count);
    const name = `${functionName || '(anonymous)'} ${area}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + count);
  }
  const sampledMs = (last - first) / 1000;
  const share = (n) => Math.round((n / total) * 1000) / 10;
  const ranked = (map) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    sampledMs: Math.round(sampledMs),
    idleShare: Math.round((idle / (idle + total)) * 1000) / 10,
    areas: ranked(areas).slice(0, top).map(([area, n]) => ({ area, percent: share(n) })),
    functions: ranked(functions).slice(0, top).map(([fn, n]) => ({ fn, percent: share(n) })),
  };
}
