import { makeService } from '@governance/core/testing';
import { PostgresStore, type PostgresStoreOptions } from '@governance/store-postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { expectRecoversAfterDrop, sqlStoreBatchScenarios, sqlStoreConnectionScenarios, storeError } from '../../sql-shared/test/sql-store-scenarios';
import { POSTGRES_URL, postgresSkip, useTestSchema } from './postgres-test-env';

const skip = await postgresSkip();

describe.skipIf(skip !== undefined)('PostgresStore against PostgreSQL', () => {
  const scratch = useTestSchema();
  const open = (options?: PostgresStoreOptions) => scratch.open(options);
  const target = {
    packageName: 'store-postgres',
    open: (tablePrefix: string) => open({ tablePrefix }),
    inspect: (tablePrefix: string) => scratch.schema.inspect(tablePrefix),
    openAt: (port: number, connectTimeoutMs: number) =>
      open({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, schema: undefined, connectTimeoutMs }),
  } as const;

  it('migrates once, and again harmlessly from a second store', async () => {
    const a = open({ tablePrefix: 'twice_' });
    await a.migrate();
    await a.migrate();
    const b = open({ tablePrefix: 'twice_' });
    await b.migrate();
    const done = await scratch.schema.raw.query(`select name from ${scratch.schema.name}.twice_governance_migration`);
    expect(done.rows.map((r) => r.name)).toEqual(['0001_registry_tables', '0002_cluster', '0003_ttl']);
  });

  it('two stores migrating a fresh schema at the same time both succeed and share the tables', async () => {
    const fresh = `${scratch.schema.name}_race`;
    const a = open({ schema: fresh });
    const b = open({ schema: fresh });
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      await a.saveService(makeService({ podName: 'race-1' }));
      expect((await b.getService('http-gw:race-1'))?.podName).toBe('race-1');
      const done = await scratch.schema.raw.query(`select name from ${fresh}.governance_migration order by name`);
      expect(done.rows.map((r) => r.name)).toEqual(['0001_registry_tables', '0002_cluster', '0003_ttl']);
    } finally {
      await scratch.schema.raw.query(`drop schema if exists ${fresh} cascade`);
    }
  });

  it('migrates lazily on the first call', async () => {
    const store = open({ tablePrefix: 'lazy_' });
    expect(await store.getService('http-gw:none')).toBeUndefined();
    const tables = await scratch.schema.raw.query(
      `select table_name from information_schema.tables where table_schema = $1 and table_name like 'lazy_%' order by 1`,
      [scratch.schema.name],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'lazy_governance_counter',
      'lazy_governance_groups',
      'lazy_governance_log',
      'lazy_governance_members',
      'lazy_governance_migration',
      'lazy_governance_migration_lock',
      'lazy_services',
      'lazy_subscriptions',
    ]);
  });

  it('uses a pool the host hands in and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    try {
      const store = new PostgresStore({ pool, schema: scratch.schema.name, tablePrefix: 'hosted_' });
      await store.saveService(makeService());
      expect((await store.getService('http-gw:http-gw-1'))?.serviceName).toBe('http-gw');
      await store.close();
      await store.close();
      expect((await pool.query('select 1 as one')).rows[0].one).toBe(1);
      const later = await storeError(store.getService('http-gw:http-gw-1'));
      expect(later.message).toMatch(/store is closed; create a new PostgresStore/);
    } finally {
      await pool.end();
    }
  });

  sqlStoreBatchScenarios(target);
  sqlStoreConnectionScenarios(target);

  it("the Go example's documented queries work unchanged", async () => {
    const store = open();
    await store.clear();
    await store.saveService(makeService({ serviceName: 'http-gw', podName: 'http-gw-1', subscriptions: ['diam-gw', 'eir'] }));
    await store.saveService(makeService({ serviceName: 'diam-gw', podName: 'diam-gw-1', subscriptions: ['eir'] }));
    await store.saveService(makeService({ serviceName: 'eir', podName: 'eir-1', lastHealthCheck: new Date('2026-03-05T00:00:00.001Z') }));
    const client = await scratch.schema.raw.connect();
    try {
      await client.query(`set search_path to ${scratch.schema.name}`);
      const groups = await client.query('SELECT service_name, COUNT(*) FROM services GROUP BY service_name');
      expect(groups.rows.map((r) => `${r.service_name}=${r.count}`).sort()).toEqual(['diam-gw=1', 'eir=1', 'http-gw=1']);
      const subs = await client.query('SELECT service_key, subscriptions FROM services WHERE jsonb_array_length(subscriptions) > 0');
      expect(subs.rows.map((r) => [r.service_key, r.subscriptions]).sort()).toEqual([
        ['diam-gw:diam-gw-1', ['eir']],
        ['http-gw:http-gw-1', ['diam-gw', 'eir']],
      ]);
      const byCheck = await client.query('SELECT service_key, status, last_health_check FROM services ORDER BY last_health_check DESC');
      expect(byCheck.rows[0].service_key).toBe('eir:eir-1');
      expect(byCheck.rows[0].last_health_check.toISOString()).toBe('2026-03-05T00:00:00.001Z');
      expect((await client.query('SELECT * FROM services')).rowCount).toBe(3);
    } finally {
      client.release();
    }
  });

  it('recovers by itself after the server drops its connections', async () => {
    const name = `gov_test_${Math.random().toString(36).slice(2, 10)}`;
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, application_name: name });
    pool.on('error', () => undefined);
    try {
      const store = new PostgresStore({ pool, schema: scratch.schema.name, tablePrefix: 'recover_' });
      await store.saveService(makeService());
      await scratch.schema.raw.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [name]);
      await expectRecoversAfterDrop(store, 'http-gw:http-gw-1', 'http-gw-1');
    } finally {
      await pool.end();
    }
  });

  it('an unknown user is an authentication StoreError that says what to check', async () => {
    const store = open({ connectionString: POSTGRES_URL.replace('//postgres@', '//no_such_user_gov@'), schema: undefined, connectTimeoutMs: 2000 });
    const error = await storeError(store.ping());
    expect(error.message).toMatch(/authentication failed for user "no_such_user_gov" .*check user\/password/);
    expect(error.transient).toBe(false);
  }, 8000);

  it('a missing database is a StoreError that says how to create it', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/gov_no_such_db';
    const store = open({ connectionString: url.toString(), schema: undefined, connectTimeoutMs: 2000 });
    const error = await storeError(store.ping());
    expect(error.message).toMatch(/database "gov_no_such_db" does not exist .*create it with CREATE DATABASE "gov_no_such_db"/);
  }, 8000);

  it('an aborted signal stops a call before it starts', async () => {
    const store = open();
    const controller = new AbortController();
    controller.abort();
    await expect(store.getService('a:b', { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});
