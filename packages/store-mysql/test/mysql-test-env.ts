import { randomBytes } from 'node:crypto';
import type { RegistryChange, RegistryStore } from '@governance/core';
import { checkTestServer, type CoordinationInspector, type HeldLock, type StoreInspector } from '@governance/core/testing';
import { MySqlStore, type MySqlStoreOptions } from '@governance/store-mysql';
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll } from 'vitest';

/** Server the tests use; override with TEST_MYSQL_URL. */
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** The skip reason when MySQL/MariaDB is unreachable (outside CI), else `undefined`. */
export async function mysqlSkip(): Promise<string | undefined> {
  return checkTestServer('MySQL/MariaDB', 'Start MariaDB/MySQL or set TEST_MYSQL_URL=mysql://user:password@host:port/db.', async () => {
    const pool = createPool({ uri: MYSQL_URL, connectTimeout: 3000, connectionLimit: 1 });
    try {
      await pool.query('select 1');
    } finally {
      await pool.end();
    }
  });
}

/** The test server URL with another database in its path. */
export function urlFor(database: string): string {
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A fresh database for one test file (`gov_test_<random>`), with a raw mysql2 pool on it for
 * checks that must not trust the store, and `drop()` to remove everything afterwards.
 */
export interface TestDatabase {
  name: string;
  url: string;
  raw: Pool;
  drop(): Promise<void>;
  inspect(prefix?: string): StoreInspector;
  /** Raw access for the coordination checks; `open` makes another store on the same tables. */
  coordination(open: () => RegistryStore, prefix?: string): CoordinationInspector;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gov_test_${randomBytes(5).toString('hex')}`;
  const admin = createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = urlFor(name);
  const raw = createPool({ uri: url, connectionLimit: 4, timezone: 'Z' });
  return {
    name,
    url,
    raw,
    async drop() {
      await raw.query(`drop database if exists ${name}`);
      await raw.end();
    },
    inspect(prefix = '') {
      return {
        async serviceKeys() {
          const [rows] = await raw.query(`select service_key from ${prefix}services`);
          return (rows as Array<{ service_key: string }>).map((r) => r.service_key);
        },
        async subscriptionPairs() {
          const [rows] = await raw.query(`select subscriber_key, service_group from ${prefix}subscriptions`);
          return (rows as Array<{ subscriber_key: string; service_group: string }>).map(
            (r) => [r.subscriber_key, r.service_group] as [string, string],
          );
        },
      };
    },
    coordination(open, prefix = '') {
      const lockRow = async (table: string, column: string, value: string): Promise<HeldLock> => {
        const conn = await raw.getConnection();
        try {
          await conn.query('begin');
          const [rows] = await conn.query(`select 1 from ${prefix}${table} where ${column} = ? for update`, [value]);
          if ((rows as unknown[]).length !== 1) throw new Error(`[test] no ${table} row ${value} to lock`);
        } catch (error) {
          await conn.query('rollback').catch(() => undefined);
          conn.release();
          throw error;
        }
        return {
          async release() {
            await conn.query('commit');
            conn.release();
          },
        };
      };
      return {
        async logEntries() {
          const [rows] = await raw.query(`select seq, service_key, service_group, kind from ${prefix}governance_log order by seq`);
          return (rows as Array<{ seq: number | string; service_key: string; service_group: string; kind: RegistryChange['kind'] }>).map(
            (row) => ({ seq: Number(row.seq), key: row.service_key, group: row.service_group, kind: row.kind }),
          );
        },
        async databaseNow() {
          const [rows] = await raw.query('select utc_timestamp(3) as now');
          return (rows as Array<{ now: Date }>)[0]!.now;
        },
        lockPod: (key) => lockRow('services', 'service_key', key),
        lockGroup: (group) => lockRow('governance_groups', 'service_group', group),
        async lockWaiters() {
          // InnoDB refreshes its information_schema transaction cache only after 100 ms without
          // reads: polling it faster would read the same stale snapshot forever.
          await new Promise((resolve) => setTimeout(resolve, 150));
          const [rows] = await raw.query(
            `select count(*) as n from information_schema.innodb_trx t join information_schema.processlist p on p.id = t.trx_mysql_thread_id
             where t.trx_state = 'LOCK WAIT' and p.db = database()`,
          );
          return Number((rows as Array<{ n: number }>)[0]!.n);
        },
        openPeer: async () => open(),
      };
    },
  };
}

/**
 * For one `describe` block: a fresh database created before its tests and dropped after them, and
 * `open()` for stores on it (4 connections unless overridden), all closed after the block.
 */
export function useTestDatabase(): { readonly db: TestDatabase; open(options?: MySqlStoreOptions): MySqlStore } {
  let db: TestDatabase | undefined;
  const stores: MySqlStore[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db?.drop();
  });
  return {
    get db() {
      if (db === undefined) throw new Error('[test] the database is created in beforeAll');
      return db;
    },
    open(options = {}) {
      const store = new MySqlStore({ connectionString: this.db.url, maxConnections: 4, ...options });
      stores.push(store);
      return store;
    },
  };
}
