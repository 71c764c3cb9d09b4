import { StoreError } from '@governance/core';
import { makeService } from '@governance/core/testing';
import { PostgresStore } from '@governance/store-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBatchesMatchSequential } from '../../sql-shared/test/batch-equivalence';
import { closedPort, createTestSchema, POSTGRES_URL, postgresSkip, type TestSchema } from './postgres-test-env';

const skip = await postgresSkip();

async function storeError(call: Promise<unknown>): Promise<StoreError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe.skipIf(skip !== undefined)('PostgresStore against PostgreSQL', () => {
  let schema: TestSchema;
  const stores: PostgresStore[] = [];
  const open = (options: ConstructorParameters<typeof PostgresStore>[0] = {}) => {
    const store = new PostgresStore({ connectionString: POSTGRES_URL, schema: schema.name, maxConnections: 4, ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await schema?.drop();
  });

  it('migrates once, and again harmlessly from a second store', async () => {
    const a = open({ tablePrefix: 'twice_' });
    await a.migrate();
    await a.migrate();
    const b = open({ tablePrefix: 'twice_' });
    await b.migrate();
    const done = await schema.raw.query(`select name from ${schema.name}.twice_governance_migration`);
    expect(done.rows.map((r) => r.name)).toEqual(['0001_registry_tables']);
  });

  it('two stores migrating a fresh schema at the same time both succeed and share the tables', async () => {
    const fresh = `${schema.name}_race`;
    const a = open({ schema: fresh });
    const b = open({ schema: fresh });
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      await a.saveService(makeService({ podName: 'race-1' }));
      expect((await b.getService('http-gw:race-1'))?.podName).toBe('race-1');
      const done = await schema.raw.query(`select count(*)::int as n from ${fresh}.governance_migration`);
      expect(done.rows[0].n).toBe(1);
    } finally {
      await schema.raw.query(`drop schema if exists ${fresh} cascade`);
    }
  });

  it('migrates lazily on the first call', async () => {
    const store = open({ tablePrefix: 'lazy_' });
    expect(await store.getService('http-gw:none')).toBeUndefined();
    const tables = await schema.raw.query(
      `select table_name from information_schema.tables where table_schema = $1 and table_name like 'lazy_%' order by 1`,
      [schema.name],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'lazy_governance_migration',
      'lazy_governance_migration_lock',
      'lazy_services',
      'lazy_subscriptions',
    ]);
  });

  it('uses a pool the host hands in and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    try {
      const store = new PostgresStore({ pool, schema: schema.name, tablePrefix: 'hosted_' });
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

  it('a batch failing at its last mutation leaves none of the earlier ones behind', async () => {
    const store = open({ tablePrefix: 'atomic_' });
    await store.saveService(makeService({ podName: 'kept', subscriptions: ['eir'] }));
    const error = await storeError(
      store.applyBatch([
        { type: 'save', service: makeService({ podName: 'first', subscriptions: ['diam-gw'] }) },
        { type: 'delete', key: 'http-gw:kept' },
        { type: 'save', service: makeService({ podName: 'bad', status: 'sleepy' as never }) },
      ]),
    );
    expect(error.operation).toBe('applyBatch');
    expect(error.message).toMatch(/^\[store-postgres\] applyBatch failed: .*status must be healthy, unhealthy or unknown/);
    expect(error.transient).toBe(false);
    const keys = await schema.inspect('atomic_').serviceKeys();
    expect(keys).toEqual(['http-gw:kept']);
    expect(await schema.inspect('atomic_').subscriptionPairs()).toEqual([['http-gw:kept', 'eir']]);
  });

  it('a batch whose later stage fails rolls back the statements already sent', async () => {
    const store = open({ tablePrefix: 'stages_' });
    await storeError(
      store.applyBatch([
        { type: 'save', service: makeService({ podName: 'first', subscriptions: ['eir'] }) },
        { type: 'health', key: 'http-gw:first', status: 'sleepy' as never, at: new Date() },
      ]),
    );
    expect(await schema.inspect('stages_').serviceKeys()).toEqual([]);
    expect(await schema.inspect('stages_').subscriptionPairs()).toEqual([]);
  });

  it('mixed batches give the same results and state as applying them one by one', async () => {
    const store = open({ tablePrefix: 'mixed_' });
    await expectBatchesMatchSequential(store);
  });

  it('a save with an invalid status changes nothing', async () => {
    const store = open({ tablePrefix: 'badsave_' });
    await store.saveService(makeService({ subscriptions: ['eir'] }));
    await storeError(store.saveService(makeService({ status: 'sleepy' as never, subscriptions: ['other'] })));
    expect(await schema.inspect('badsave_').subscriptionPairs()).toEqual([['http-gw:http-gw-1', 'eir']]);
    expect((await store.getService('http-gw:http-gw-1'))?.status).toBe('unknown');
  });

  it("the Go example's documented queries work unchanged", async () => {
    const store = open();
    await store.clear();
    await store.saveService(makeService({ serviceName: 'http-gw', podName: 'http-gw-1', subscriptions: ['diam-gw', 'eir'] }));
    await store.saveService(makeService({ serviceName: 'diam-gw', podName: 'diam-gw-1', subscriptions: ['eir'] }));
    await store.saveService(makeService({ serviceName: 'eir', podName: 'eir-1', lastHealthCheck: new Date('2026-03-05T00:00:00.001Z') }));
    const client = await schema.raw.connect();
    try {
      await client.query(`set search_path to ${schema.name}`);
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
      const store = new PostgresStore({ pool, schema: schema.name, tablePrefix: 'recover_' });
      await store.saveService(makeService());
      await schema.raw.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [name]);
      // The first call may still meet the dying connection; it must fail transiently and the
      // broken connection must be discarded, so the next call succeeds.
      let found = await store.getService('http-gw:http-gw-1').catch((error: unknown) => {
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).transient).toBe(true);
        return undefined;
      });
      found ??= await store.getService('http-gw:http-gw-1');
      expect(found?.podName).toBe('http-gw-1');
      expect(await store.getService('http-gw:http-gw-1')).toBeDefined();
    } finally {
      await pool.end();
    }
  });

  it('a refused connection is a transient StoreError that names the server', async () => {
    const port = await closedPort();
    const store = open({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, schema: undefined, connectTimeoutMs: 2000 });
    const error = await storeError(store.ping());
    expect(error.message).toBe(
      `[store-postgres] ping failed: cannot connect to 127.0.0.1:${port}/test: connection refused; is the server running at 127.0.0.1:${port}/test?`,
    );
    expect(error.transient).toBe(true);
    expect(error.cause).toBeDefined();
    const viaCall = await storeError(store.getService('x:y'));
    expect(viaCall.operation).toBe('migrate');
  }, 8000);

  it('a server that never answers gives a transient timeout StoreError after connectTimeoutMs', async () => {
    const { createServer } = await import('node:net');
    const held = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const store = open({ connectionString: `postgres://root@127.0.0.1:${port}/test`, schema: undefined, connectTimeoutMs: 300 });
      const error = await storeError(store.ping());
      expect(error.message).toMatch(/timed out/);
      expect(error.transient).toBe(true);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 8000);

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
