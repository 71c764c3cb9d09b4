import { randomBytes } from 'node:crypto';
import type { RegistryChange, RegistryStore } from '@governance/core';
import { checkTestServer, type CoordinationInspector, type HeldLock, type StoreInspector } from '@governance/core/testing';
import { PostgresStore, type PostgresStoreOptions } from '@governance/store-postgres';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { changeChannel, listenerName } from '../src/postgres-listener';

/** Server the tests use; override with TEST_POSTGRES_URL. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The skip reason when PostgreSQL is unreachable (outside CI), else `undefined`. */
export async function postgresSkip(): Promise<string | undefined> {
  return checkTestServer('PostgreSQL', 'Start PostgreSQL or set TEST_POSTGRES_URL=postgres://user@host:port/db.', async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.query('select 1');
    await client.end();
  });
}

/**
 * A fresh schema for one test file (`gov_test_<random>`), with a raw pg pool for checks that
 * must not trust the store, and `drop()` to remove everything afterwards.
 */
export interface TestSchema {
  name: string;
  raw: pg.Pool;
  drop(): Promise<void>;
  inspect(prefix?: string): StoreInspector;
  /** Raw access for the coordination checks; `open` makes another store on the same tables. */
  coordination(open: () => RegistryStore, prefix?: string): CoordinationInspector;
}

export async function createTestSchema(): Promise<TestSchema> {
  const name = `gov_test_${randomBytes(5).toString('hex')}`;
  const raw = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  raw.on('error', () => undefined);
  await raw.query(`create schema ${name}`);
  return {
    name,
    raw,
    async drop() {
      await raw.query(`drop schema if exists ${name} cascade`);
      await raw.end();
    },
    inspect(prefix = '') {
      return {
        async serviceKeys() {
          const r = await raw.query<{ service_key: string }>(`select service_key from ${name}.${prefix}services`);
          return r.rows.map((row) => row.service_key);
        },
        async subscriptionPairs() {
          const r = await raw.query<{ subscriber_key: string; service_group: string }>(
            `select subscriber_key, service_group from ${name}.${prefix}subscriptions`,
          );
          return r.rows.map((row) => [row.subscriber_key, row.service_group] as [string, string]);
        },
      };
    },
    coordination(open, prefix = '') {
      const table = (t: string) => `${name}.${prefix}${t}`;
      const lockRow = async (t: string, column: string, value: string): Promise<HeldLock> => {
        const client = await raw.connect();
        try {
          await client.query('begin');
          const locked = await client.query(`select 1 from ${table(t)} where ${column} = $1 for update`, [value]);
          if (locked.rowCount !== 1) throw new Error(`[test] no ${t} row ${value} to lock`);
        } catch (error) {
          await client.query('rollback').catch(() => undefined);
          client.release();
          throw error;
        }
        return {
          async release() {
            await client.query('commit');
            client.release();
          },
        };
      };
      return {
        async logEntries() {
          const r = await raw.query(`select seq, service_key, service_group, kind from ${table('governance_log')} order by seq`);
          return r.rows.map((row): RegistryChange => ({ seq: Number(row.seq), key: row.service_key, group: row.service_group, kind: row.kind }));
        },
        async databaseNow() {
          return (await raw.query<{ now: Date }>('select now() as now')).rows[0]!.now;
        },
        lockPod: (key) => lockRow('services', 'service_key', key),
        lockGroup: (group) => lockRow('governance_groups', 'service_group', group),
        async lockWaiters() {
          const r = await raw.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and strpos(query, $1) > 0",
            [name],
          );
          return r.rows[0]!.n;
        },
        openPeer: async () => open(),
        async killListeners() {
          const r = await raw.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = $1',
            [listenerName(changeChannel(name, prefix))],
          );
          return r.rowCount ?? 0;
        },
      };
    },
  };
}

/**
 * For one `describe` block: a fresh schema created before its tests and dropped after them, and
 * `open()` for stores on it (4 connections unless overridden), all closed after the block.
 */
export function useTestSchema(): { readonly schema: TestSchema; open(options?: PostgresStoreOptions): PostgresStore } {
  let schema: TestSchema | undefined;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await schema?.drop();
  });
  return {
    get schema() {
      if (schema === undefined) throw new Error('[test] the schema is created in beforeAll');
      return schema;
    },
    open(options = {}) {
      const store = new PostgresStore({ connectionString: POSTGRES_URL, schema: this.schema.name, maxConnections: 4, ...options });
      stores.push(store);
      return store;
    },
  };
}
