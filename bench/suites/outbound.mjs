/**
 * Outbound HTTP cost (issue 17, item 2's harness): CPU time per health probe with `node:http`
 * keep-alive agents as the engine probes today (`probeTarget` from @governance/core with an agent
 * configured like the engine's: keepAlive, maxSockets = probe concurrency, lifo, 4 s idle)
 * against `undici`'s Agent (a connection pool per origin; undici is a dev dependency of the bench
 * only), against the same fleet process, alternating in the same run. Nothing in the engine
 * changes here.
 *
 * Two shapes: one origin probed over and over (keep-alive reuse: the best case), and 4,096
 * distinct origins each probed once per pass with a fresh agent — how production looks, where
 * every pod is its own host and a 30 s interval outlives any idle socket, so each probe opens a
 * connection. Reported: CPU µs per probe (this process's user + system time), probes/s, latency.
 *
 * Environment: OUTBOUND_PROBES (same-origin probes per round, default 20000), OUTBOUND_ROUNDS
 * (default 3).
 */
import http from 'node:http';
import { probeTarget } from '@governance/core';
import { Agent, request } from 'undici';
import { startFleet } from '../lib/fleet.mjs';
import { QUICK, latencyCase, measureLatencies, report } from '../lib/harness.mjs';

const CONCURRENCY = 512; // the engine's default probeConcurrency
const TIMEOUT_MS = 1_000;
const IDLE_SOCKET_MS = 4_000; // the engine's idle keep-alive time (packages/core/src/manager/http-agent.ts)
const ORIGINS = QUICK ? 1_024 : 4_096;
const SAME_ORIGIN_PROBES = QUICK ? 4_000 : Number(process.env.OUTBOUND_PROBES ?? 20_000);
const DISTINCT_PASSES = QUICK ? 1 : 2;
const ROUNDS = QUICK ? 1 : Number(process.env.OUTBOUND_ROUNDS ?? 3);

/** The two probers, each making a fresh pool per call of `open()`. */
const CLIENTS = {
  'node:http': {
    label: 'node:http keep-alive Agent via probeTarget (the engine today)',
    open() {
      const agent = new http.Agent({
        keepAlive: true,
        maxSockets: CONCURRENCY,
        maxFreeSockets: Math.min(CONCURRENCY, 256),
        scheduling: 'lifo',
        timeout: IDLE_SOCKET_MS,
      });
      return {
        probe: async (url) => {
          const result = await probeTarget(url, { timeoutMs: TIMEOUT_MS, retries: 0, agent });
          if (!result.healthy) throw new Error(result.error);
        },
        close: async () => agent.destroy(),
      };
    },
  },
  undici: {
    label: 'undici Agent (a Pool per origin)',
    open() {
      const dispatcher = new Agent({
        connections: CONCURRENCY,
        keepAliveTimeout: IDLE_SOCKET_MS,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        connectTimeout: TIMEOUT_MS,
      });
      return {
        probe: async (url) => {
          const { statusCode, body } = await request(url, { dispatcher });
          await body.dump();
          if (statusCode < 200 || statusCode > 299) throw new Error(`HTTP ${statusCode}`);
        },
        close: () => dispatcher.close(),
      };
    },
  },
};

/** Runs `passes` passes over `urls` (a fresh pool per pass); returns latencies and CPU µs per probe. */
async function run(client, urls, passes) {
  const all = [];
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    const prober = CLIENTS[client].open();
    try {
      all.push(await measureLatencies((i) => prober.probe(urls[i % urls.length]), urls.length, CONCURRENCY, { warmup: 0 }));
    } finally {
      await prober.close();
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - started;
  const completed = all.reduce((n, s) => n + s.completed, 0);
  const stats = all.length === 1 ? all[0] : mergeStats(all, wallMs);
  return { ...stats, cpuUsPerProbe: Math.round(((cpu.user + cpu.system) / completed) * 10) / 10, cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 100) };
}

/** Several passes as one result: the slowest pass's percentiles (conservative), summed counts. */
function mergeStats(all, wallMs) {
  const worst = (key) => Math.max(...all.map((s) => s[key] ?? 0));
  const completed = all.reduce((n, s) => n + s.completed, 0);
  return {
    ...all[0],
    count: all.reduce((n, s) => n + s.count, 0),
    completed,
    errors: all.reduce((n, s) => n + s.errors, 0),
    firstError: all.find((s) => s.firstError)?.firstError ?? null,
    p50Ns: worst('p50Ns'),
    p90Ns: worst('p90Ns'),
    p99Ns: worst('p99Ns'),
    maxNs: worst('maxNs'),
    meanNs: Math.round(all.reduce((n, s) => n + s.meanNs * s.completed, 0) / completed),
    wallMs: Math.round(wallMs),
    throughputPerSec: Math.round((completed * 1000) / wallMs),
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function shape(name, urls, passes) {
  process.stderr.write(`  outbound: ${name} …\n`);
  for (const client of Object.keys(CLIENTS)) await run(client, urls.slice(0, Math.min(urls.length, 2_000)), 1); // warm-up
  const runs = { 'node:http': [], undici: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const client of round % 2 === 0 ? ['node:http', 'undici'] : ['undici', 'node:http']) runs[client].push(await run(client, urls, passes));
  }
  // The round with the median CPU per probe stands for each client.
  const pick = (list) => list.find((r) => r.cpuUsPerProbe === median(list.map((x) => x.cpuUsPerProbe)));
  const today = pick(runs['node:http']);
  const candidate = pick(runs.undici);
  const cpuRatio = Math.round((candidate.cpuUsPerProbe / today.cpuUsPerProbe) * 1000) / 1000;
  return latencyCase({
    name: `${name}: undici vs node:http (${CONCURRENCY} in flight)`,
    stats: candidate,
    baseline: { name: CLIENTS['node:http'].label, ...today },
    metrics: {
      cpuUsPerProbe: candidate.cpuUsPerProbe,
      baselineCpuUsPerProbe: today.cpuUsPerProbe,
      cpuRatio,
      cheaper: cpuRatio < 1 ? 'undici' : 'node:http',
      cpuPercentOfOneCore: candidate.cpuPercentOfOneCore,
      baselineCpuPercentOfOneCore: today.cpuPercentOfOneCore,
      roundsCpuUsPerProbe: runs.undici.map((r) => r.cpuUsPerProbe),
      baselineRoundsCpuUsPerProbe: runs['node:http'].map((r) => r.cpuUsPerProbe),
      probesPerRound: urls.length * passes,
      origins: new Set(urls.map((u) => new URL(u).host)).size,
    },
    note: `Case = ${CLIENTS.undici.label}; baseline = ${CLIENTS['node:http'].label}. cpuRatio = undici CPU per probe / node:http CPU per probe (below 1: undici is cheaper). Each client's round with the median CPU per probe is shown.`,
  });
}

async function main() {
  const fleet = await startFleet({ origins: ORIGINS });
  const cases = [];
  try {
    const sameOrigin = Array.from({ length: SAME_ORIGIN_PROBES }, (_, i) => `${fleet.base}/health/pod-${i}`);
    cases.push(await shape('one origin, keep-alive reuse', sameOrigin, 1));
    const distinct = fleet.bases.map((base, i) => `${base}/health/pod-${i}`);
    cases.push(await shape(`${ORIGINS} distinct origins, a new connection per probe`, distinct, DISTINCT_PASSES));
  } finally {
    await fleet.close();
  }
  report(
    { name: 'outbound', options: { concurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS, idleSocketMs: IDLE_SOCKET_MS, rounds: ROUNDS, origins: ORIGINS, sameOriginProbes: SAME_ORIGIN_PROBES, distinctPasses: DISTINCT_PASSES }, cases },
    {
      notes: [
        'CPU per probe is this process\'s user + system time divided by the probes completed, so it counts only the prober, not the fleet (its own process). It is the figure to compare on a busy machine; latency and probes/s also depend on what else runs.',
        'The fleet answers GET /health/<pod> with 200 "ok"; distinct origins are extra listeners of the fleet on 127.1.x.y, same port (loopback only).',
        'node:http runs through the exported probeTarget(), which parses the URL on every call; the engine parses each pod\'s URL once when it starts tracking it, so the engine pays slightly less than the baseline here.',
      ],
    },
  );
}

await main();
