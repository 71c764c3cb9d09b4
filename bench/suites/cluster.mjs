/**
 * Cluster mode (issue 11): several manager processes on one database. Each replica is its own
 * process (bench/lib/cluster-replica.mjs: the built packages, node:http adapter), the pods are one
 * fleet process (test/support/pod-fleet.mjs) that records which replica probed each pod (each
 * replica's outgoing sockets come from its own loopback address), and the registrations come from
 * the load process (bench/lib/load-client.mjs). Every case starts on a fresh schema / database.
 *
 * Cases:
 * - acknowledged registrations/s of a 3,000-pod fleet (50 clients): `cluster: false` (the
 *   same-run baseline), a cluster of one, and three replicas in aggregate (clients split over the
 *   three), on PostgreSQL; three replicas on MariaDB;
 * - probes per replica per health interval once the fleet is registered (the split) and the
 *   largest share of the fleet one replica probes;
 * - visibility: a registration acknowledged by replica A until `GET /services/<group>` on replica B
 *   lists it (p50/p99), on PostgreSQL and MariaDB;
 * - takeover after SIGKILL of one of three replicas: until every pod it probed has been probed by
 *   a survivor.
 *
 * Cluster settings are the defaults (lease 5 s, poll 1 s on PostgreSQL / 250 ms on MariaDB); the
 * health interval is 5 s (not the default 30 s) so that a window of several intervals fits a run.
 *
 * Environment: CLUSTER_BENCH_PODS (default 3000), CLUSTER_BENCH_VISIBILITY_SAMPLES (default 200).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { QUICK, latencyCase, quantile, report } from '../lib/harness.mjs';
import { closeClientAgent, getJson, postJson, startReplica } from '../lib/cluster-replica.mjs';
import { startLoadClient } from '../lib/load-client.mjs';
import { startPodFleet } from '../../test/support/pod-fleet.mjs';

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const PODS = Number(process.env.CLUSTER_BENCH_PODS ?? (QUICK ? 600 : 3_000));
const VISIBILITY_SAMPLES = Number(process.env.CLUSTER_BENCH_VISIBILITY_SAMPLES ?? (QUICK ? 40 : 200));
const CONCURRENCY = 50;
const INTERVAL_MS = 5_000;
const SPLIT_INTERVALS = QUICK ? 1 : 2;
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const BASE_CONFIG = { healthCheckInterval: INTERVAL_MS, eventQueueSize: 10_000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (line) => process.stderr.write(`  cluster: ${line}\n`);
const ms = (n) => Math.round(n);

async function scratchPostgres() {
  const schema = `gov_bench_cl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`create schema ${schema}`);
  return {
    label: 'PostgreSQL',
    store: 'postgres',
    storeOptions: { connectionString: POSTGRES_URL, schema },
    async drop() {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}

async function scratchMysql() {
  const database = `gov_bench_cl_${randomBytes(4).toString('hex')}`;
  const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  await admin.query(`create database ${database}`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return {
    label: 'MariaDB',
    store: 'mysql',
    storeOptions: { connectionString: url.toString() },
    async drop() {
      await admin.query(`drop database if exists ${database}`);
      await admin.end();
    },
  };
}

/** Starts `n` replicas on `db` (one after the other, as a rollout would) with `config`. */
async function startReplicas(db, n, config) {
  const replicas = [];
  for (let i = 0; i < n; i++) {
    replicas.push(await startReplica({ store: db.store, storeOptions: db.storeOptions, config: { ...BASE_CONFIG, ...config }, localAddress: ADDRESSES[i] }));
  }
  return replicas;
}

/**
 * Registers PODS pods, clients split evenly over `replicas` (one load process per replica: a load
 * process runs one `run` at a time); aggregate acknowledged registrations/s.
 */
async function registerFleet(loads, fleet, replicas, tag) {
  const per = Math.ceil(PODS / replicas.length);
  const started = Date.now();
  const runs = await Promise.all(
    replicas.map((r, i) =>
      loads[i].run({
        url: `${r.url}/register`,
        concurrency: Math.max(1, Math.round(CONCURRENCY / replicas.length)),
        count: Math.min(per, PODS - i * per),
        pods: { tag: `${tag}r${i}`, healthBase: fleet.base },
      }),
    ),
  );
  const wallMs = Math.max(...runs.map((r) => r.lastAnswerAt)) - started;
  const completed = runs.reduce((a, r) => a + r.completed, 0);
  const errors = runs.reduce((a, r) => a + (r.errors ?? 0), 0);
  if (completed < PODS) throw new Error(`[bench] cluster: only ${completed} of ${PODS} registrations acknowledged (${runs.map((r) => r.firstError).filter(Boolean).join('; ')})`);
  const latencies = runs.map((r) => r.p99Ns);
  return { completed, errors, wallMs, perSec: Math.round((completed / wallMs) * 1000), p99Ns: Math.max(...latencies), runs };
}

/** Probes per replica per interval over `intervals` intervals, and each replica's share of the fleet's pods. */
async function probeSplit(fleet, intervals, tagPrefix) {
  // One interval to let every pod's first check pass, then the window.
  await sleep(INTERVAL_MS + 500);
  const since = Date.now();
  await sleep(intervals * INTERVAL_MS);
  const probes = (await fleet.probes(since, since + intervals * INTERVAL_MS)).filter(([pod]) => pod.startsWith(tagPrefix));
  const perAddress = new Map();
  const podsByAddress = new Map();
  const perPod = new Map();
  for (const [pod, address] of probes) {
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    (podsByAddress.get(address) ?? podsByAddress.set(address, new Set()).get(address)).add(pod);
    (perPod.get(pod) ?? perPod.set(pod, new Set()).get(pod)).add(address);
  }
  const probesPerReplicaPerInterval = Object.fromEntries([...perAddress].sort().map(([a, n]) => [a, Math.round((n / intervals) * 10) / 10]));
  const shareOfFleet = Object.fromEntries([...podsByAddress].sort().map(([a, s]) => [a, Math.round((s.size / PODS) * 1000) / 1000]));
  return {
    intervals,
    probesPerPodPerInterval: Math.round((probes.length / PODS / intervals) * 1000) / 1000,
    podsProbed: perPod.size,
    podsProbedByTwoReplicas: [...perPod.values()].filter((s) => s.size > 1).length,
    probesPerReplicaPerInterval,
    shareOfFleet,
    maxShare: Math.max(...Object.values(shareOfFleet)),
    podsByAddress,
  };
}

/** Registers on replica A, polls `GET /services/<group>` on replica B until it lists the pod. */
async function visibility(fleet, replicas, group) {
  const samples = [];
  for (let n = 0; n < VISIBILITY_SAMPLES; n++) {
    const a = replicas[n % replicas.length];
    const b = replicas[(n + 1) % replicas.length];
    const pod = `${group}-${n}`;
    const status = await postJson(`${a.url}/register`, {
      service_name: group,
      pod_name: pod,
      providers: [{ protocol: 'http', ip: '10.9.9.9', port: 8080 }],
      health_check_url: fleet.healthUrl(pod),
      notification_url: fleet.notifyUrl(pod),
      subscriptions: [],
    });
    if (status !== 201 && status !== 200) throw new Error(`[bench] cluster: register ${pod} answered ${status}`);
    const acked = process.hrtime.bigint();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const listed = await getJson(`${b.url}/services/${group}`).catch(() => ({ pods: [] }));
      if (listed.pods.some((p) => p.pod_name === pod)) break;
      if (Date.now() > deadline) throw new Error(`[bench] cluster: ${pod} not visible on replica B after 30 s`);
      await sleep(2);
    }
    samples.push(Number(process.hrtime.bigint() - acked));
  }
  samples.sort((x, y) => x - y);
  return { samples: samples.length, p50Ns: quantile(samples, 0.5), p99Ns: quantile(samples, 0.99), maxNs: samples[samples.length - 1], meanNs: samples.reduce((x, y) => x + y, 0) / samples.length };
}

/** SIGKILL `victim`; ms until every pod it probed has been probed by another replica. */
async function takeover(fleet, victim, victimPods, survivors) {
  const killedAt = Date.now();
  victim.kill('SIGKILL');
  await victim.exited;
  const deadline = killedAt + 60_000;
  const firsts = new Map();
  for (;;) {
    for (const [pod, address, at] of await fleet.probes(killedAt)) {
      if (address !== victim.localAddress && victimPods.has(pod) && !firsts.has(pod)) firsts.set(pod, at);
    }
    if (firsts.size === victimPods.size) break;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  const members = await Promise.all(survivors.map((r) => r.stats().then((s) => s.cluster?.members.length)));
  const times = [...firsts.values()].map((t) => t - killedAt).sort((a, b) => a - b);
  return {
    victimPods: victimPods.size,
    reprobed: firsts.size,
    firstReprobeMs: times[0] ?? null,
    lastReprobeMs: firsts.size === victimPods.size ? times[times.length - 1] : null,
    survivorsSeeMembers: members,
  };
}

async function withReplicas(db, n, config, fn) {
  const replicas = await startReplicas(db, n, config);
  try {
    return await fn(replicas);
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await db.drop();
  }
}

const throughputCase = (name, reg, extra) =>
  latencyCase({
    name,
    stats: { p50Ns: null, p99Ns: reg.p99Ns, meanNs: null, maxNs: null, throughputPerSec: reg.perSec, completed: reg.completed, concurrency: CONCURRENCY, errors: reg.errors, wallMs: reg.wallMs },
    ...extra,
  });

async function main() {
  const fleet = await startPodFleet();
  const loads = await Promise.all(ADDRESSES.map(() => startLoadClient()));
  const cases = [];
  const figures = {};
  try {
    // 1. Single replica: cluster: false (baseline) vs a cluster of one, alternating, two rounds each.
    const rounds = QUICK ? 1 : 2;
    const single = { off: [], on: [] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['off', 'on']) {
        log(`PostgreSQL, 1 replica, cluster ${mode === 'off' ? 'false' : "'auto'"}, round ${round + 1}: registering ${PODS} pods …`);
        const db = await scratchPostgres();
        await withReplicas(db, 1, mode === 'off' ? { cluster: false } : {}, async ([r]) => {
          const reg = await registerFleet(loads, fleet, [r], `s${mode}${round}-`);
          single[mode].push(reg);
          if (mode === 'on' && round === rounds - 1) {
            const split = await probeSplit(fleet, SPLIT_INTERVALS, `s${mode}${round}-`);
            figures.oneReplicaSplit = { ...split, podsByAddress: undefined };
            figures.oneReplicaStats = (await r.stats()).cluster;
          }
        });
      }
    }
    const best = (list) => list.reduce((a, b) => (b.perSec > a.perSec ? b : a));
    const off = best(single.off);
    const on = best(single.on);
    cases.push(
      latencyCase({
        name: `PostgreSQL, 1 replica, cluster 'auto': POST /register of ${PODS} pods, ${CONCURRENCY} clients`,
        stats: { p99Ns: on.p99Ns, throughputPerSec: on.perSec, completed: on.completed, concurrency: CONCURRENCY, errors: on.errors, wallMs: on.wallMs },
        baseline: { name: 'cluster: false', p99Ns: off.p99Ns, throughputPerSec: off.perSec, completed: off.completed },
        targets: [{ name: "cluster of one ≥ 85 % of cluster: false registrations/s", metric: 'metrics.ratioToClusterFalse', op: '>=', limit: 0.85 }],
        metrics: {
          ratioToClusterFalse: Math.round((on.perSec / off.perSec) * 1000) / 1000,
          roundsPerSec: { clusterFalse: single.off.map((r) => r.perSec), clusterAuto: single.on.map((r) => r.perSec) },
          probeSplit: figures.oneReplicaSplit,
          clusterStats: figures.oneReplicaStats,
        },
        note: 'Best of the alternating rounds of each mode, each on a fresh schema; the p99 is the registration latency.',
      }),
    );

    // 2. Three replicas on PostgreSQL: aggregate throughput, split, visibility, takeover.
    for (const make of [scratchPostgres, scratchMysql]) {
      const db = await make();
      const label = db.label;
      log(`${label}, 3 replicas: registering ${PODS} pods …`);
      await withReplicas(db, 3, {}, async (replicas) => {
        const tag = `t${label[0]}-`;
        const reg = await registerFleet(loads, fleet, replicas, tag);
        log(`${label}, 3 replicas: ${reg.perSec}/s; measuring the split …`);
        const split = await probeSplit(fleet, SPLIT_INTERVALS, tag);
        const stats = await Promise.all(replicas.map((r) => r.stats().then((s) => s.cluster)));
        log(`${label}, 3 replicas: visibility (${VISIBILITY_SAMPLES} samples) …`);
        const vis = await visibility(fleet, replicas, `vis${label[0]}`);
        cases.push(
          throughputCase(`${label}, 3 replicas: POST /register of ${PODS} pods, ${CONCURRENCY} clients split over the replicas (aggregate)`, reg, {
            targets: [{ name: 'no replica probes more than 45 % of the fleet', metric: 'metrics.probeSplit.maxShare', op: '<=', limit: 0.45 }],
            metrics: {
              aggregatePerSec: reg.perSec,
              perReplicaPerSec: reg.runs.map((r) => r.throughputPerSec),
              ...(label === 'PostgreSQL' ? { oneReplicaClusterPerSec: on.perSec, clusterFalsePerSec: off.perSec } : {}),
              probeSplit: { ...split, podsByAddress: undefined },
              clusterStats: stats.map((s) => s && { members: s.members.length, valid: s.valid, ownedPods: s.ownedPods, ownedSubscribers: s.ownedSubscribers, reloads: s.reloads }),
            },
            note: `Each replica answers its own ${Math.round(CONCURRENCY / 3)} clients; aggregate = all acknowledged / time to the last answer.`,
          }),
        );
        cases.push(
          latencyCase({
            name: `${label}, 3 replicas: write acknowledged by replica A → listed by GET /services/<group> on replica B`,
            stats: { p50Ns: vis.p50Ns, p99Ns: vis.p99Ns, meanNs: vis.meanNs, maxNs: vis.maxNs, throughputPerSec: null, completed: vis.samples, concurrency: 1 },
            targets: [{ name: 'visibility p99 ≤ 1 s', metric: 'p99Ns', op: '<=', limit: 1e9 }],
            metrics: { fleetPods: PODS },
            note: `Sequential samples over a registered fleet of ${PODS} pods, A and B rotating over the three replicas; B is polled every ~2 ms.`,
          }),
        );
        if (label === 'PostgreSQL') {
          const victim = replicas[2];
          const victimPods = split.podsByAddress.get(victim.localAddress) ?? new Set();
          log(`${label}, 3 replicas: SIGKILL one replica (${victimPods.size} pods) …`);
          const t = await takeover(fleet, victim, victimPods, replicas.slice(0, 2));
          cases.push(
            latencyCase({
              name: `${label}, 3 replicas: SIGKILL one → every pod it probed probed by a survivor (default lease 5 s)`,
              stats: { p50Ns: t.firstReprobeMs == null ? null : t.firstReprobeMs * 1e6, p99Ns: t.lastReprobeMs == null ? null : t.lastReprobeMs * 1e6, completed: t.reprobed, concurrency: 1 },
              targets: [{ name: 'takeover ≤ 10 s', metric: 'metrics.takeoverMs', op: '<=', limit: 10_000 }],
              metrics: { takeoverMs: t.lastReprobeMs, firstReprobeMs: t.firstReprobeMs, victimPods: t.victimPods, reprobed: t.reprobed, survivorsSeeMembers: t.survivorsSeeMembers },
              note: 'median column = the first re-probe of a victim pod by a survivor, p99 column = the last one (the takeover time), both from the SIGKILL.',
            }),
          );
        }
      });
    }
  } finally {
    closeClientAgent();
    await Promise.all(loads.map((l) => l.close()));
    await fleet.close();
  }
  report(
    { name: 'cluster', options: { pods: PODS, concurrency: CONCURRENCY, healthCheckInterval: INTERVAL_MS, visibilitySamples: VISIBILITY_SAMPLES, splitIntervals: SPLIT_INTERVALS }, cases },
    {
      notes: [
        'Every replica, the fleet and the load generator are separate processes on one shared 2-core machine with PostgreSQL and MariaDB on it too; see machine.loadAverage1m.',
        'Cluster settings are the defaults (clusterLease 5 s, clusterPollInterval 1 s with LISTEN/NOTIFY on PostgreSQL, 250 ms on MariaDB); healthCheckInterval is 5 s so a window of several intervals fits the run.',
        'Probes are attributed to replicas by source address: each replica binds its outgoing sockets to its own loopback address (a measuring aid in bench/lib/cluster-replica.mjs).',
      ],
    },
  );
}

await main();
