/**
 * End-to-end registrations over HTTP (issue 17, item 1), the way a user meets the product: the
 * telco-manager example itself (its Express wiring, memory store, its console logger at `info`,
 * default settings) in its own process, 50 concurrent keep-alive clients in another process,
 * and each registration's first health check answered by a local fleet server in a third.
 * Beside it, in the same run and rounds, the simplest hand-written registry doing the same
 * visible work: a bare Express app that parses the JSON, keeps it in a `Map`, GETs the health URL
 * once with `node:http` and answers 201.
 *
 * Reports registrations/s, p50/p99 and server CPU per registration for both, their ratio
 * (target ≥ 1.0× the bare app), and a CPU profile summary of each (a separate, shorter round run
 * under `--cpu-prof`, so profiling never slows the measured rounds).
 *
 * Environment: HTTP_E2E_MS (measured window per round, default 15000), HTTP_E2E_ROUNDS (default
 * 2), HTTP_E2E_PROFILE=0 to skip the profiled round.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { newestProfile, summarizeCpuProfile } from '../lib/cpu-profile.mjs';
import { startFleet } from '../lib/fleet.mjs';
import { QUICK, latencyCase, report } from '../lib/harness.mjs';
import { startLoadClient } from '../lib/load-client.mjs';
import { startBareApp, startTelcoManager } from '../lib/servers.mjs';

const CONCURRENCY = 50;
const WINDOW_MS = QUICK ? 3_000 : Number(process.env.HTTP_E2E_MS ?? 15_000);
const WARMUP_MS = QUICK ? 1_000 : 3_000;
const ROUNDS = QUICK ? 1 : Number(process.env.HTTP_E2E_ROUNDS ?? 2);
const PROFILE = process.env.HTTP_E2E_PROFILE !== '0';
const PROFILE_MS = QUICK ? 2_000 : 6_000;

const SIDES = {
  manager: { label: 'telco-manager example (Express, memory store, logger at info)', start: (o) => startTelcoManager({}, o) },
  bare: { label: 'bare Express app (express.json, Map, one node:http GET, 201)', start: (o) => startBareApp(o) },
};

/** One round against one side: warm-up, then the measured window, with the server's CPU time. */
async function measure(side, load, fleet, tag, windowMs, options = {}) {
  const server = await SIDES[side].start(options);
  try {
    const url = `${server.url}/register`;
    const pods = { tag, healthBase: fleet.base };
    await load.run({ url, concurrency: CONCURRENCY, durationMs: WARMUP_MS, pods: { ...pods, tag: `${tag}w` } });
    const fleetBefore = await fleet.stats();
    const cpuBefore = server.cpuMs();
    const fromNs = process.hrtime.bigint();
    const stats = await load.run({ url, concurrency: CONCURRENCY, durationMs: windowMs, pods });
    const toNs = process.hrtime.bigint();
    const cpuAfter = server.cpuMs();
    const fleetAfter = await fleet.stats();
    const cpuMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
    return {
      ...stats,
      serverCpuUsPerRequest: cpuMs === null ? null : Math.round((cpuMs * 1000) / stats.completed),
      serverCpuPercentOfOneCore: cpuMs === null ? null : Math.round((cpuMs / stats.wallMs) * 100),
      healthGetsPerRegistration: Math.round(((fleetAfter.healthOk - fleetBefore.healthOk) / stats.completed) * 100) / 100,
      logLines: server.logLines ? server.logLines().length : null,
      window: { fromNs, toNs },
    };
  } finally {
    await server.stop();
  }
}

/** Best of several rounds (highest throughput): a busy neighbour only slows a run. */
function best(runs) {
  return runs.reduce((a, b) => (b.throughputPerSec > a.throughputPerSec ? b : a));
}

const ratio = (a, b) => (a && b ? Math.round((a / b) * 1000) / 1000 : null);

async function main() {
  const fleet = await startFleet();
  const load = await startLoadClient();
  const runs = { manager: [], bare: [] };
  const profiles = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? ['bare', 'manager'] : ['manager', 'bare']) {
        process.stderr.write(`  http-e2e: round ${round + 1}/${ROUNDS}, ${side} …\n`);
        runs[side].push(await measure(side, load, fleet, `r${round}${side}`, WINDOW_MS));
      }
    }
    if (PROFILE) {
      for (const side of ['bare', 'manager']) {
        process.stderr.write(`  http-e2e: profiled round, ${side} …\n`);
        const dir = mkdtempSync(join(os.tmpdir(), `gov-bench-prof-${side}-`));
        const run = await measure(side, load, fleet, `p${side}`, PROFILE_MS, { cpuProfileDir: dir });
        const file = newestProfile(dir);
        const summary = summarizeCpuProfile(file, { ...run.window, top: 25 });
        profiles[side] = {
          ...summary,
          file,
          throughputPerSec: run.throughputPerSec,
          serverCpuUsPerRequest: run.serverCpuUsPerRequest,
          // Each area's share of the CPU time, in µs per registration.
          usPerRequestByArea: Object.fromEntries(summary.areas.map((a) => [a.area, Math.round((a.percent / 100) * run.serverCpuUsPerRequest)])),
        };
      }
    }
  } finally {
    await load.close();
    await fleet.close();
  }

  if (profiles.manager && profiles.bare) {
    // Where the manager spends CPU beyond the bare app: µs per registration, area by area.
    const areas = new Set([...Object.keys(profiles.manager.usPerRequestByArea), ...Object.keys(profiles.bare.usPerRequestByArea)]);
    profiles.beyondBareUsPerRequest = Object.fromEntries(
      [...areas]
        .map((area) => [area, (profiles.manager.usPerRequestByArea[area] ?? 0) - (profiles.bare.usPerRequestByArea[area] ?? 0)])
        .sort((a, b) => b[1] - a[1]),
    );
  }
  const manager = best(runs.manager);
  const bare = best(runs.bare);
  const stats = manager;
  const cases = [
    latencyCase({
      name: `POST /register, telco-manager example ×${CONCURRENCY} keep-alive clients`,
      stats,
      baseline: { name: SIDES.bare.label, ...bare },
      targets: [{ name: '≥ 1.0× the bare app’s registrations/s', metric: 'metrics.throughputRatio', op: '>=', limit: 1.0 }],
      metrics: {
        throughputRatio: ratio(manager.throughputPerSec, bare.throughputPerSec),
        p50Ratio: ratio(manager.p50Ns, bare.p50Ns),
        p99Ratio: ratio(manager.p99Ns, bare.p99Ns),
        serverCpuUsPerRequest: manager.serverCpuUsPerRequest,
        baselineServerCpuUsPerRequest: bare.serverCpuUsPerRequest,
        cpuPerRequestRatio: ratio(manager.serverCpuUsPerRequest, bare.serverCpuUsPerRequest),
        serverCpuPercentOfOneCore: manager.serverCpuPercentOfOneCore,
        baselineServerCpuPercentOfOneCore: bare.serverCpuPercentOfOneCore,
        clientCpuMs: manager.clientCpuMs,
        healthGetsPerRegistration: manager.healthGetsPerRegistration,
        baselineHealthGetsPerRegistration: bare.healthGetsPerRegistration,
        statuses: manager.statuses,
        baselineStatuses: bare.statuses,
        roundsThroughputPerSec: runs.manager.map((r) => r.throughputPerSec),
        baselineRoundsThroughputPerSec: runs.bare.map((r) => r.throughputPerSec),
        roundsP99Ns: runs.manager.map((r) => r.p99Ns),
        baselineRoundsP99Ns: runs.bare.map((r) => r.p99Ns),
        windowMs: WINDOW_MS,
        warmupMs: WARMUP_MS,
        ...(PROFILE ? { cpuProfile: profiles } : {}),
      },
      note:
        'Both servers answer after keeping the registration and start its first health check without waiting for it (the manager acknowledges once the store applied the change; the check follows at once). serverCpuUsPerRequest is the server process\'s CPU time per registration over the measured window, the figure least disturbed by a busy machine.',
    }),
  ];

  report(
    {
      name: 'http-e2e',
      options: { concurrency: CONCURRENCY, windowMs: WINDOW_MS, warmupMs: WARMUP_MS, rounds: ROUNDS, keepAlive: true, profiled: PROFILE },
      cases,
    },
    {
      notes: [
        'Four processes: the server measured (the telco-manager example started as `node examples/telco-manager/src/main.mjs`, STORE_TYPE=memory, LOG_LEVEL=info, its defaults otherwise: 30 s interval, 5 s timeout, 3 retries; its log goes to a file), the bare app, the fleet answering GET /health/<pod> with 200, and the load generator.',
        'The load generator is a small Node program (bench/lib/load-client.mjs) rather than wrk: `pnpm bench` then needs nothing beyond Node on a fresh machine, and it times every request itself. Each of its 50 clients keeps one keep-alive socket and sends the next registration when the previous one is answered (closed loop, like autocannon and wrk). Every registration is a new pod with two providers and no subscriptions.',
        'Manager and bare app are measured in the same run, alternating over rounds, each in a fresh process after a warm-up; the best round of each is reported. On a shared 2-core machine compare throughputRatio and cpuPerRequestRatio, not absolute numbers.',
        'cpuProfile: self-time shares of the measured window of a separate, shorter round of each server under node --cpu-prof (areas: packages, Node internals, GC, V8 builtins); start-up and warm-up samples are left out. usPerRequestByArea turns the shares into µs per registration with that round\'s CPU time; beyondBareUsPerRequest is manager minus bare app, area by area (areas outside each side\'s top 25 count as 0).',
      ],
    },
  );
}

await main();
