/**
 * Migrating must not fail because other sessions create and drop schemas in the same database
 * meanwhile (other apps, other tests): Kysely's own introspector scans every schema and failed
 * with `schema "…" does not exist` in about 1 call in 20 under such churn.
 */
import { PostgresStore } from '@governance/store-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, POSTGRES_URL, postgresSkip, type TestSchema } from './postgres-test-env';

const STORES = 20;
const skip = await postgresSkip();

describe.skipIf(skip !== undefined)('PostgresStore migrations while other schemas come and go', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it(`${STORES} stores migrate their tables while another session creates and drops schemas`, async () => {
    const churn = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    churn.on('error', () => undefined);
    let stop = false;
    let churned = 0;
    const churner = (async () => {
      while (!stop) {
        const name = `gov_churn_${process.pid}_${churned++ % 3}`;
        await churn.query(`create schema if not exists ${name}; create table if not exists ${name}.t (x int)`);
        await churn.query(`drop schema if exists ${name} cascade`);
      }
    })();
    const stores = Array.from({ length: STORES }, (_, i) => new PostgresStore({ connectionString: POSTGRES_URL, schema: schema.name, tablePrefix: `churn${i}_`, maxConnections: 2 }));
    try {
      const results = await Promise.allSettled(stores.map((store) => store.migrate()));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
      expect(failures).toEqual([]);
      expect(churned).toBeGreaterThan(0);
      const tables = await schema.raw.query<{ n: string }>(
        `select count(*) as n from pg_catalog.pg_tables where schemaname = $1 and tablename like 'churn%services'`,
        [schema.name],
      );
      expect(Number(tables.rows[0]!.n)).toBe(STORES);
    } finally {
      stop = true;
      await churner;
      await Promise.all(stores.map((store) => store.close()));
      await churn.end();
    }
  }, 60_000);
});
