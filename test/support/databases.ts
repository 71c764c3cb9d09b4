import { randomBytes } from 'node:crypto';
import type { RegistryStore } from '@governance/core';
import { MySqlStore } from '@governance/store-mysql';
import { PostgresStore } from '@governance/store-postgres';
import { createPool as createMysqlPool, type Pool as MysqlPool } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
// The servers (TEST_POSTGRES_URL / TEST_MYSQL_URL) and their skip checks are the store test suites' own.
import { MYSQL_URL, mysqlSkip } from '../../packages/store-mysql/test/mysql-test-env';
import { POSTGRES_URL, postgresSkip } from '../../packages/store-postgres/test/postgres-test-env';

/** What a reliability test needs of a database: where it is and a raw look at its rows. */
export interface ScratchDatabase {
  kind: 'postgres' | 'mysql';
  /** Host and port of the server (a test may put a proxy in front of them). */
  host: string;
  port: number;
  /** The store options naming this scratch space, minus host and port. */
  storeOptions: Record<string, unknown>;
  /** A store on this scratch space reached at `host`:`port` (the server's, or a proxy's), with `extra` options. */
  openStore(host: string, port: number, extra?: Record<string, unknown>): RegistryStore;
  /** Every stored pod key with its sorted subscriptions, read through the raw driver. */
  rows(): Promise<Map<string, string[]>>;
  drop(): Promise<void>;
}

/** User and password of a server URL, percent-decoded. */
function credentials(url: URL, defaultUser: string): { user: string; password: string | undefined } {
  return {
    user: decodeURIComponent(url.username) || defaultUser,
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

function collect(pairs: Array<{ key: string; group: string | null }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { key, group } of pairs) {
    let list = out.get(key);
    if (list === undefined) out.set(key, (list = []));
    if (group !== null) list.push(group);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** A fresh PostgreSQL schema (`gov_rel_<random>`). */
export async function scratchPostgres(): Promise<ScratchDatabase> {
  const schema = `gov_rel_${randomBytes(5).toString('hex')}`;
  const url = new URL(POSTGRES_URL);
  const raw = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  raw.on('error', () => undefined);
  await raw.query(`create schema ${schema}`);
  const storeOptions = { ...credentials(url, 'postgres'), database: url.pathname.slice(1) || 'postgres', schema };
  return {
    kind: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    storeOptions,
    openStore: (host, port, extra) => new PostgresStore({ ...storeOptions, host, port, ...extra }),
    async rows() {
      const r = await raw.query<{ key: string; group: string | null }>(
        `select s.service_key as key, b.service_group as group
           from ${schema}.services s left join ${schema}.subscriptions b on b.subscriber_key = s.service_key`,
      );
      return collect(r.rows);
    },
    async drop() {
      await raw.query(`drop schema if exists ${schema} cascade`);
      await raw.end();
    },
  };
}

/** A fresh MySQL/MariaDB database (`gov_rel_<random>`). */
export async function scratchMysql(): Promise<ScratchDatabase> {
  const database = `gov_rel_${randomBytes(5).toString('hex')}`;
  const url = new URL(MYSQL_URL);
  const admin = createMysqlPool({ uri: MYSQL_URL, connectionLimit: 1 });
  await admin.query(`create database ${database}`);
  await admin.end();
  url.pathname = `/${database}`;
  const raw: MysqlPool = createMysqlPool({ uri: url.toString(), connectionLimit: 2, timezone: 'Z' });
  const storeOptions = { ...credentials(url, 'root'), database };
  return {
    kind: 'mysql',
    host: url.hostname,
    port: Number(url.port || 3306),
    storeOptions,
    openStore: (host, port, extra) => new MySqlStore({ ...storeOptions, host, port, ...extra }),
    async rows() {
      const [rows] = await raw.query(
        `select s.service_key as \`key\`, b.service_group as \`group\`
           from services s left join subscriptions b on b.subscriber_key = s.service_key`,
      );
      return collect(rows as Array<{ key: string; group: string | null }>);
    },
    async drop() {
      await raw.query(`drop database if exists ${database}`);
      await raw.end();
    },
  };
}

/** A database server the reliability tests run against, each in its own `describe`. */
export interface ScratchServer {
  /** The server's name in test titles. */
  title: string;
  /** The short name in figures and failure messages. */
  label: string;
  /** The skip reason when the server is unreachable (outside CI), else `undefined`. */
  skip(): Promise<string | undefined>;
  scratch(): Promise<ScratchDatabase>;
}

export const SCRATCH_SERVERS: readonly ScratchServer[] = [
  { title: 'PostgreSQL', label: 'PostgreSQL', skip: postgresSkip, scratch: scratchPostgres },
  { title: 'MariaDB/MySQL', label: 'MariaDB', skip: mysqlSkip, scratch: scratchMysql },
];

/**
 * A fresh scratch database on `server` for the tests of the enclosing `describe`, created before
 * them and dropped after them; call the returned function inside a test.
 */
export function useScratchDatabase(server: ScratchServer): () => ScratchDatabase {
  let db: ScratchDatabase | undefined;
  beforeAll(async () => {
    db = await server.scratch();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (db === undefined) throw new Error(`[test] no scratch database on ${server.title}; its beforeAll did not run`);
    return db;
  };
}
