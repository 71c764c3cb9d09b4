import { randomBytes } from 'node:crypto';
import { checkTestServer, type StoreInspector } from '@governance/core/testing';
import pg from 'pg';

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
  };
}
