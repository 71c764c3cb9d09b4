/**
 * SQL store benchmarks (issue 5), against the BUILT packages and the local servers
 * (TEST_POSTGRES_URL / TEST_MYSQL_URL, same defaults as the tests). For each store:
 * getService, getServicesByName (10 pods), saveService with 3 subscriptions,
 * updateHealthStatus keeping the status (one UPDATE, not logged) and updateHealthStatus changing
 * it (a logged transaction, issue 11), each beside the same SQL sent through the raw driver in
 * the same rounds — for writes including the change-log append the store makes;
 * then register() through the Manager with 64 concurrent callers (acknowledged = committed).
 * Each store works in its own fresh schema / database, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { Manager, keyOf } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { MySqlStore } from '@governance/store-mysql';
import { PostgresStore } from '@governance/store-postgres';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { startFleet } from '../lib/fleet.mjs';
import { QUICK, latencyCase, measureLatencies, report, runCases } from '../lib/harness.mjs';

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const CALLERS = 64;
const REGISTRATIONS = QUICK ? 1_000 : 6_000;

function pod(serviceName, n, subscriptions = []) {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60, n % 1000));
  const ip = `10.0.${(n >> 8) & 255}.${n & 255}`;
  return {
    serviceName,
    podName: `${serviceName}-${n}`,
    providers: [
      { protocol: 'http', ip, port: 8080 },
      { protocol: 'tcp', ip, port: 3868 },
    ],
    healthCheckUrl: `http://${ip}:8080/health`,
    notificationUrl: `http://${ip}:8080/notify`,
    subscriptions,
    status: 'healthy',
    lastHealthCheck: at,
    registeredAt: at,
    updatedAt: at,
  };
}

const TEN = Array.from({ length: 10 }, (_, n) => pod('amf', n, ['nrf']));
const OTHERS = Array.from({ length: 190 }, (_, n) => pod(`svc-${n % 19}`, 100 + n, ['nrf']));
const WRITES = Array.from({ length: 200 }, (_, n) => pod('smf', 1000 + n, ['amf', 'nrf', 'udm']));
const ROWS = [...TEN, ...OTHERS];
/** Pods only the transition case writes: one set for the store, one for the raw baseline. */
const FLIP_STORE = Array.from({ length: 100 }, (_, n) => pod('nrf', 5000 + n));
const FLIP_RAW = Array.from({ length: 100 }, (_, n) => pod('nrf', 6000 + n));

/** Returns, for call i, a pod of `pods` and the status opposite to the one it has: every call is a transition. */
function flipper(pods) {
  const state = new Map(pods.map((p) => [keyOf(p), p.status]));
  return (i) => {
    const key = keyOf(pods[i % pods.length]);
    const next = state.get(key) === 'healthy' ? 'unhealthy' : 'healthy';
    state.set(key, next);
    return [key, next];
  };
}

/** What the raw-driver baselines need from one database. */
function rowParams(p) {
  return [
    keyOf(p),
    p.serviceName,
    p.podName,
    JSON.stringify(p.providers),
    p.healthCheckUrl,
    p.notificationUrl,
    JSON.stringify(p.subscriptions),
    p.status,
    p.lastHealthCheck,
    p.registeredAt,
    p.updatedAt,
  ];
}

const COLUMNS =
  'service_key, service_name, pod_name, providers, health_check_url, notification_url, subscriptions, status, last_health_check, registered_at, updated_at';

/** Runs `work` between begin and commit on a pooled connection (pg or mysql2), releasing it after. */
async function inTransaction(connecting, work) {
  const conn = await connecting;
  try {
    await conn.query('begin');
    await work(conn);
    await conn.query('commit');
  } finally {
    conn.release();
  }
}

async function postgresTarget() {
  const schema = `gov_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  await admin.query(`create schema ${schema}`);
  const raw = new pg.Pool({ connectionString: POSTGRES_URL, max: 25 });
  const t = `"${schema}"."services"`;
  const s = `"${schema}"."subscriptions"`;
  const q = (name) => `"${schema}"."${name}"`;
  // The store's change-log append (PostgresDialectAdapter.appendLog) for one pod.
  const appendLog = (client, key, group, kind) =>
    client.query(
      `with c as (update ${q('governance_counter')} set seq = seq + 1::bigint where id = 1 returning seq),
       e as (select c.seq - 1::bigint + u.n as seq, u.service_key, u.service_group, u.kind
             from c, unnest($1::text[], $2::text[], $3::text[]) with ordinality as u(service_key, service_group, kind, n)),
       l as (insert into ${q('governance_log')} (seq, service_key, service_group, kind, created_at) select seq, service_key, service_group, kind, now() from e),
       g as (insert into ${q('governance_groups')} as g (service_group, revision) select service_group, max(seq) from e group by service_group
             on conflict (service_group) do update set revision = greatest(g.revision, excluded.revision))
       select c.seq, pg_notify($4, c.seq::text) from c`,
      [[key], [group], [kind], `${schema}.governance_changes`],
    );
  const upsert = `insert into ${t} (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (service_key) do update set ${COLUMNS.split(', ')
    .slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
  return {
    label: 'PostgreSQL',
    open: () => new PostgresStore({ connectionString: POSTGRES_URL, schema }),
    version: async () => (await raw.query('select version() as v')).rows[0].v,
    raw: {
      getService: (key) => raw.query(`select * from ${t} where service_key = $1`, [key]),
      getServicesByName: (name) => raw.query(`select * from ${t} where service_name = $1`, [name]),
      updateHealthStatus: (key, status, at) =>
        raw.query(`update ${t} set last_health_check = $1 where service_key = $2 and status = $3`, [at, key, status]),
      healthTransition: (key, status, at) =>
        inTransaction(raw.connect(), async (client) => {
          const found = await client.query(`select service_key, service_name, status from ${t} where service_key in ($1) for update`, [key]);
          await client.query(
            `update ${t} set status = case service_key when $1 then $2 end, last_health_check = case service_key when $1 then $3::timestamptz(3) end where service_key in ($1)`,
            [key, status, at],
          );
          await appendLog(client, key, found.rows[0].service_name, 'health');
        }),
      saveService: (p) =>
        inTransaction(raw.connect(), async (client) => {
          const key = keyOf(p);
          await client.query(upsert, rowParams(p));
          await client.query(`delete from ${s} where subscriber_key in ($1)`, [key]);
          await client.query(
            `insert into ${s} (subscriber_key, service_group) values ($1, $2), ($3, $4), ($5, $6) on conflict (subscriber_key, service_group) do nothing`,
            p.subscriptions.flatMap((g) => [key, g]),
          );
          await appendLog(client, key, p.serviceName, 'save');
        }),
    },
    async drop() {
      await raw.end();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}

async function mysqlTarget() {
  const database = `gov_bench_${randomBytes(4).toString('hex')}`;
  const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  await admin.query(`create database ${database}`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  const raw = mysql.createPool({ uri: url.toString(), connectionLimit: 25, timezone: 'Z' });
  const fresh = COLUMNS.split(', ')
    .slice(1)
    .map((c) => `\`${c}\` = values(\`${c}\`)`)
    .join(', ');
  // The store's change-log append (MySqlDialectAdapter.appendLog) for one pod.
  const appendLog = async (conn, key, group, kind) => {
    const [taken] = await conn.query('update `governance_counter` set `seq` = last_insert_id(`seq` + ?) where `id` = 1', [1]);
    await conn.query('insert into `governance_log` (`seq`, `service_key`, `service_group`, `kind`, `created_at`) values (?, ?, ?, ?, utc_timestamp(3))', [
      taken.insertId,
      key,
      group,
      kind,
    ]);
    await conn.query(
      'insert into `governance_groups` (`service_group`, `revision`) values (?, ?) on duplicate key update `revision` = greatest(`revision`, values(`revision`))',
      [group, taken.insertId],
    );
  };
  return {
    label: 'MariaDB',
    open: () => new MySqlStore({ connectionString: url.toString() }),
    version: async () => (await raw.query('select version() as v'))[0][0].v,
    raw: {
      getService: (key) => raw.query('select * from `services` where `service_key` = ?', [key]),
      getServicesByName: (name) => raw.query('select * from `services` where `service_name` = ?', [name]),
      updateHealthStatus: (key, status, at) =>
        raw.query('update `services` set `last_health_check` = ? where `service_key` = ? and `status` = ?', [at, key, status]),
      healthTransition: (key, status, at) =>
        inTransaction(raw.getConnection(), async (conn) => {
          const [found] = await conn.query('select `service_key`, `service_name`, `status` from `services` where `service_key` in (?) for update', [key]);
          await conn.query(
            'update `services` set `status` = case `service_key` when ? then ? end, `last_health_check` = case `service_key` when ? then cast(? as datetime(3)) end where `service_key` in (?)',
            [key, status, key, at, key],
          );
          await appendLog(conn, key, found[0].service_name, 'health');
        }),
      saveService: (p) =>
        inTransaction(raw.getConnection(), async (conn) => {
          const key = keyOf(p);
          await conn.query(`insert into \`services\` (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on duplicate key update ${fresh}`, rowParams(p));
          await conn.query('delete from `subscriptions` where `subscriber_key` in (?)', [key]);
          await conn.query(
            'insert into `subscriptions` (`subscriber_key`, `service_group`) values (?, ?), (?, ?), (?, ?) on duplicate key update `service_group` = `service_group`',
            p.subscriptions.flatMap((g) => [key, g]),
          );
          await appendLog(conn, key, p.serviceName, 'save');
        }),
    },
    async drop() {
      await raw.end();
      await admin.query(`drop database if exists ${database}`);
      await admin.end();
    },
  };
}

async function storeCases(target) {
  const store = target.open();
  await store.migrate();
  await store.clear();
  for (const p of [...ROWS, ...FLIP_STORE, ...FLIP_RAW]) await store.saveService(p);
  const flipStore = flipper(FLIP_STORE);
  const flipRaw = flipper(FLIP_RAW);
  const ratio = { name: 'overhead ≤ 1.3× raw driver', metric: 'ratioToBaseline', op: '<=', limit: 1.3 };
  const L = target.label;
  const result = await runCases({
    name: 'sql',
    // Writes wait for a commit flush whose cost swings with the disk; more alternating rounds even it out.
    options: QUICK ? {} : { rounds: 4, time: 500 },
    cases: [
      {
        name: `${L} getService`,
        fn: (i) => store.getService(keyOf(ROWS[i % ROWS.length])),
        baseline: { name: 'raw select', fn: (i) => target.raw.getService(keyOf(ROWS[i % ROWS.length])) },
        targets: [ratio, { name: 'median ≤ 0.5 ms', metric: 'medianNs', op: '<=', limit: 500_000 }],
      },
      {
        name: `${L} getServicesByName (10 pods)`,
        fn: () => store.getServicesByName('amf'),
        baseline: { name: 'raw select', fn: () => target.raw.getServicesByName('amf') },
        targets: [ratio],
      },
      {
        name: `${L} saveService (3 subscriptions)`,
        fn: (i) => store.saveService(WRITES[i % WRITES.length]),
        baseline: { name: 'raw transaction', fn: (i) => target.raw.saveService(WRITES[i % WRITES.length]) },
        targets: [ratio, { name: 'median ≤ 2 ms', metric: 'medianNs', op: '<=', limit: 2_000_000 }],
      },
      {
        // Every pod stays healthy: the common probe result, which changes only the time.
        name: `${L} updateHealthStatus`,
        fn: (i) => store.updateHealthStatus(keyOf(ROWS[i % ROWS.length]), 'healthy', new Date()),
        baseline: { name: 'raw update', fn: (i) => target.raw.updateHealthStatus(keyOf(ROWS[i % ROWS.length]), 'healthy', new Date()) },
        targets: [ratio],
      },
      {
        name: `${L} updateHealthStatus (status transition, logged)`,
        fn: (i) => store.updateHealthStatus(...flipStore(i), new Date()),
        baseline: { name: 'raw transaction', fn: (i) => target.raw.healthTransition(...flipRaw(i), new Date()) },
        targets: [ratio],
      },
    ],
  });
  await store.close();
  return result;
}

const registration = (base, i) => {
  const podName = `p-${i < 0 ? `w${-i}` : i}`;
  return {
    serviceName: `svc-${Math.abs(i) % 50}`,
    podName,
    providers: [{ protocol: 'http', ip: '127.0.0.1', port: 9000 }],
    healthCheckUrl: `${base}/health/${podName}`,
    notificationUrl: `${base}/notify/${podName}`,
    subscriptions: ['nrf', 'udm'],
  };
};

/** Registrations through a Manager on `store`, 64 callers, each resolving once applied. */
async function registerThroughput(store, base) {
  const manager = new Manager({ healthCheckInterval: 3_600_000, notificationInterval: 3_600_000, eventQueueSize: 10_000 }, store);
  await manager.start();
  let cpu;
  const stats = await measureLatencies(
    (i) => {
      // The measured run starts at call 0 (after the warm-up calls, numbered below 0).
      if (i === 0) cpu = process.cpuUsage();
      return manager.register(registration(base, i));
    },
    REGISTRATIONS,
    CALLERS,
    { warmup: 100 },
  );
  const used = process.cpuUsage(cpu);
  const persisted = (await store.stats()).services;
  await manager.stop();
  return { stats, persisted, cpuUsPerRegistration: Math.round((used.user + used.system) / stats.completed) };
}

async function managerCase(target, base) {
  const memory = await registerThroughput(new MemoryStore(), base);
  const store = target.open();
  await store.migrate();
  await store.clear();
  const { stats, persisted, cpuUsPerRegistration } = await registerThroughput(store, base);
  return latencyCase({
    name: `${target.label} Manager.register() ×${CALLERS} callers`,
    stats,
    baseline: { name: 'same on MemoryStore', ...memory.stats },
    targets: [{ name: '≥ 2,000 registrations/s', metric: 'metrics.throughputPerSec', op: '>=', limit: 2000 }],
    metrics: { persistedPods: persisted, managerCpuUsPerRegistration: cpuUsPerRegistration, memoryCpuUsPerRegistration: memory.cpuUsPerRegistration },
    note: 'Baseline: the same run through a Manager on MemoryStore just before, showing what the engine itself reaches on this machine. New pods, each with 2 subscriptions (so 2 notifications to it, one per group) and a first health check, answered by the fleet process (bench/lib/fleet.mjs); cluster mode auto (the default: the change log is written and followed). register() resolves after the commit (group commit). managerCpuUsPerRegistration: CPU of this process per registration during the measured run.',
  });
}

const fleet = await startFleet();
const base = fleet.base;
const all = { name: 'sql', options: undefined, cases: [] };
const versions = [];
for (const make of [postgresTarget, mysqlTarget]) {
  let target;
  try {
    target = await make();
  } catch (error) {
    console.error(`[bench] skipping a store: ${error instanceof Error ? error.message : error}`);
    continue;
  }
  try {
    versions.push(`${target.label}: ${await target.version()}`);
    const micro = await storeCases(target);
    all.options = micro.options;
    all.cases.push(...micro.cases);
    process.stderr.write(`  sql: ${target.label} Manager.register() …\n`);
    all.cases.push(await managerCase(target, base));
  } finally {
    await target.drop();
  }
}
await fleet.close();
report(all, {
  notes: [
    'Each store case runs beside the same SQL sent through the raw driver (pg Pool / mysql2 pool), alternating in the same rounds; ratioToBaseline = store median / raw median.',
    'saveService raw baseline: BEGIN; upsert; delete the pod\'s subscription rows; insert 3 rows; the change-log append (PostgreSQL: one statement taking the counter, inserting the entry, raising the group revision and NOTIFY; MariaDB: counter UPDATE with LAST_INSERT_ID, log INSERT, group upsert); COMMIT on one pooled connection — what the store sends.',
    'updateHealthStatus keeps each pod\'s status (the store sends one UPDATE of last_health_check WHERE status matches, not logged); the transition case flips it on every call (the store: that UPDATE matching nothing, then BEGIN; SELECT … FOR UPDATE; UPDATE; change-log append; COMMIT — the raw baseline sends the transaction part).',
    `Servers: ${versions.join('; ')}`,
  ],
});
