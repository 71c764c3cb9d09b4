/**
 * `governance` CLI benchmarks (issue 16), running the BUILT binary (packages/cli/dist/bin.js) as
 * a child process against the local servers (TEST_POSTGRES_URL / TEST_MYSQL_URL):
 *
 * - migrate PostgreSQL → MariaDB of 100,000 pods (10,000 with --quick): end-to-end rate (read
 *   both sides, plan, write, verify by re-reading both sides) and the write phase's rate, beside
 *   the same batched INSERTs (1,000 pods per transaction: multi-row upsert of the pods, delete
 *   and multi-row insert of their subscriptions, as the store does) sent through mysql2 in the
 *   same run;
 * - export of those pods to a file, then the peak RSS of `governance import` of that file (and of
 *   a file a tenth its size, to show memory stays flat), beside the peak RSS of the CLI doing
 *   nothing (`governance --version`).
 *
 * Every schema / database is fresh and dropped at the end. Rates depend on the machine's load:
 * compare with the baseline of the same run only.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyOf } from '@governance/core';
import { MySqlStore } from '@governance/store-mysql';
import { PostgresStore } from '@governance/store-postgres';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { QUICK, report } from '../lib/harness.mjs';

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const PODS = QUICK ? 10_000 : 100_000;
const BATCH = 1000;
const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const RSS_HOOK = new URL('../lib/report-rss.mjs', import.meta.url).href;

function makePods(count) {
  const base = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  return Array.from({ length: count }, (_, i) => {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    return {
      serviceName: `svc-${i % 97}`,
      podName: `pod-${i}`,
      providers: [
        { protocol: 'http', ip, port: 8080 },
        { protocol: 'tcp', ip, port: 3868 },
      ],
      healthCheckUrl: `http://${ip}:8080/health`,
      notificationUrl: `http://${ip}:8080/notify`,
      subscriptions: Array.from({ length: i % 4 }, (_, j) => `svc-${(i + j * 7) % 97}`),
      status: ['healthy', 'unhealthy', 'unknown'][i % 3],
      lastHealthCheck: new Date(base + i * 3),
      registeredAt: new Date(base - 86_400_000 + i),
      updatedAt: new Date(base + i * 2),
    };
  });
}

/** Runs the CLI; resolves with its output, wall time and (when `rss`) peak RSS in KiB. */
function cli(args, { rss = false } = {}) {
  const nodeArgs = rss ? ['--import', RSS_HOOK, BIN, ...args] : [BIN, ...args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`governance ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`));
      const maxRssKiB = Number(/MAX_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      resolve({ stdout, stderr, wallMs, maxRssKiB });
    });
  });
}

async function scratchPostgres() {
  const schema = `gov_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    store: () => new PostgresStore({ connectionString: POSTGRES_URL, schema }),
    async drop() {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}

async function scratchMysql() {
  const database = `gov_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: MYSQL_URL });
  await admin.query(`create database ${database}`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    store: () => new MySqlStore({ connectionString: url.toString() }),
    async drop() {
      await admin.query(`drop database if exists ${database}`);
      await admin.end();
    },
  };
}

/** The baseline: the same rows written through mysql2 in the same batches, one transaction each. */
async function rawMysqlInserts(db, pods) {
  const store = db.store();
  await store.migrate();
  await store.close();
  const pool = mysql.createPool({ uri: db.url, connectionLimit: 2, timezone: 'Z' });
  const columns = 'service_key, service_name, pod_name, providers, health_check_url, notification_url, subscriptions, status, last_health_check, registered_at, updated_at';
  const replaced = columns.split(', ').slice(1).map((c) => `${c} = values(${c})`).join(', ');
  const started = process.hrtime.bigint();
  for (let at = 0; at < pods.length; at += BATCH) {
    const batch = pods.slice(at, at + BATCH);
    const conn = await pool.getConnection();
    try {
      await conn.query('begin');
      for (let c = 0; c < batch.length; c += 500) {
        const chunk = batch.slice(c, c + 500);
        const rows = chunk.map((p) => [
          keyOf(p), p.serviceName, p.podName, JSON.stringify(p.providers), p.healthCheckUrl, p.notificationUrl,
          JSON.stringify(p.subscriptions), p.status, p.lastHealthCheck, p.registeredAt, p.updatedAt,
        ]);
        await conn.query(`insert into services (${columns}) values ? on duplicate key update ${replaced}`, [rows]);
        await conn.query('delete from subscriptions where subscriber_key in (?)', [chunk.map(keyOf)]);
        const pairs = chunk.flatMap((p) => p.subscriptions.map((g) => [keyOf(p), g]));
        if (pairs.length > 0) {
          await conn.query('insert into subscriptions (subscriber_key, service_group) values ? on duplicate key update service_group = service_group', [pairs]);
        }
      }
      await conn.query('commit');
    } finally {
      conn.release();
    }
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  await pool.end();
  return wallMs;
}

const rate = (count, ms) => Math.round((count * 1000) / ms);

const source = await scratchPostgres();
const targets = [await scratchMysql(), await scratchMysql(), await scratchMysql(), await scratchMysql()];
const dir = mkdtempSync(join(os.tmpdir(), 'governance-cli-bench-'));
const cases = [];
try {
  const pods = makePods(PODS);
  const seeding = source.store();
  for (let at = 0; at < pods.length; at += BATCH) {
    await seeding.applyBatch(pods.slice(at, at + BATCH).map((service) => ({ type: 'save', service })));
  }
  await seeding.close();
  process.stderr.write(`  cli: seeded ${PODS} pods in PostgreSQL\n`);

  // Baseline first and last around the CLI run, so a load change shows as two different baselines.
  const rawBefore = await rawMysqlInserts(targets[0], pods);
  const migration = await cli(['migrate', '--from', source.url, '--to', targets[1].url, '--progress', 'plain', '--batch-size', String(BATCH)]);
  const rawAfter = await rawMysqlInserts(targets[2], pods);
  if (!migration.stdout.includes('verify: OK')) throw new Error(`verify did not pass:\n${migration.stdout}`);
  const writeLine = /migrate: [\d,]+\/[\d,]+ pods \(100%\) in ([\d.]+) s/.exec(migration.stderr);
  const writeMs = Number(writeLine?.[1]) * 1000;
  const rawMs = (rawBefore + rawAfter) / 2;
  cases.push({
    name: `migrate PostgreSQL → MariaDB, ${PODS.toLocaleString('en-US')} pods (CLI, end to end incl. verify)`,
    kind: 'process',
    medianNs: Math.round(migration.wallMs * 1e6),
    opsPerSec: rate(PODS, migration.wallMs),
    baseline: { name: `raw mysql2 batched INSERTs (${BATCH}/transaction), mean of before and after`, medianNs: Math.round(rawMs * 1e6), opsPerSec: rate(PODS, rawMs) },
    ratioToBaseline: Math.round((migration.wallMs / rawMs) * 100) / 100,
    metrics: {
      endToEndPodsPerSec: rate(PODS, migration.wallMs),
      writePhaseMs: writeMs,
      writePhasePodsPerSec: rate(PODS, writeMs),
      rawPodsPerSecBefore: rate(PODS, rawBefore),
      rawPodsPerSecAfter: rate(PODS, rawAfter),
      writePhaseToRaw: Math.round((rate(PODS, writeMs) / rate(PODS, rawMs)) * 100) / 100,
    },
    targets: [],
    note: 'the write phase is the CLI\'s own progress timing (applyBatch of 1,000 pods per transaction); end to end adds reading both sides, planning and the verify re-read',
  });

  const file = join(dir, 'pods.ndjson');
  const exported = await cli(['export', '--from', source.url, '--out', file, '--progress', 'none'], { rss: true });
  const lines = readFileSync(file, 'utf8').split('\n');
  const small = join(dir, 'small.ndjson');
  writeFileSync(small, `${[JSON.stringify({ ...JSON.parse(lines[0]), count: PODS / 10 }), ...lines.slice(1, 1 + PODS / 10)].join('\n')}\n`);
  const idle = await cli(['--version'], { rss: true });
  const importSmall = await cli(['import', '--to', targets[3].url, '--in', small, '--progress', 'none'], { rss: true });
  const importFull = await cli(['import', '--to', targets[3].url, '--in', file, '--progress', 'none'], { rss: true });
  cases.push({
    name: `import of a ${PODS.toLocaleString('en-US')}-line file into MariaDB: peak RSS`,
    kind: 'process',
    medianNs: Math.round(importFull.wallMs * 1e6),
    opsPerSec: rate(PODS, importFull.wallMs),
    baseline: { name: 'governance --version (CLI loaded, idle)', medianNs: Math.round(idle.wallMs * 1e6), opsPerSec: null },
    ratioToBaseline: null,
    metrics: {
      peakRssMiB: Math.round(importFull.maxRssKiB / 1024),
      peakRssMiBTenthOfTheLines: Math.round(importSmall.maxRssKiB / 1024),
      idleCliPeakRssMiB: Math.round(idle.maxRssKiB / 1024),
      importPodsPerSec: rate(PODS, importFull.wallMs),
      exportPodsPerSec: rate(PODS, exported.wallMs),
      exportPeakRssMiB: Math.round(exported.maxRssKiB / 1024),
      fileMiB: Math.round((readFileSync(file).length / 2 ** 20) * 10) / 10,
    },
    targets: [
      {
        name: `peak RSS of ${PODS} lines ≤ 1.5 × that of ${PODS / 10} lines (flat memory)`,
        metric: 'metrics.peakRssRatio',
        op: '<=',
        limit: 1.5,
        value: Math.round((importFull.maxRssKiB / importSmall.maxRssKiB) * 100) / 100,
        met: importFull.maxRssKiB <= 1.5 * importSmall.maxRssKiB,
        stretch: false,
      },
    ],
    note: 'import validates the whole file first, then re-reads it and writes 1,000 pods per transaction; export holds every pod in memory (the store contract has no paged read), import does not',
  });
  cases[1].metrics.peakRssRatio = cases[1].targets[0].value;
} finally {
  rmSync(dir, { recursive: true, force: true });
  await source.drop();
  for (const t of targets) await t.drop();
}

for (const c of cases) {
  console.log(`\n${c.name}`);
  console.log(`  ${Math.round(c.medianNs / 1e6)} ms, ${c.opsPerSec ?? '—'} pods/s; baseline ${c.baseline.name}: ${Math.round(c.baseline.medianNs / 1e6)} ms`);
  console.log(`  ${JSON.stringify(c.metrics)}`);
}
report({ name: 'cli', options: { pods: PODS, batch: BATCH }, cases }, { notes: [`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`] });
