import { StoreError } from '@governance/core';
import { makeService } from '@governance/core/testing';
import { MySqlStore } from '@governance/store-mysql';
import { createPool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBatchesMatchSequential } from '../../sql-shared/test/batch-equivalence';
import { createTestDatabase, MYSQL_URL, mysqlSkip, type TestDatabase, urlFor } from './mysql-test-env';

const skip = await mysqlSkip();

async function storeError(call: Promise<unknown>): Promise<StoreError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(skip !== undefined)('MySqlStore against MariaDB/MySQL', () => {
  let db: TestDatabase;
  const stores: MySqlStore[] = [];
  const open = (options: ConstructorParameters<typeof MySqlStore>[0] = {}) => {
    const store = new MySqlStore({ connectionString: db.url, maxConnections: 4, ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db?.drop();
  });

  it('migrates once, and again harmlessly from a second store', async () => {
    const a = open({ tablePrefix: 'twice_' });
    await a.migrate();
    await a.migrate();
    await open({ tablePrefix: 'twice_' }).migrate();
    const [rows] = await db.raw.query('select name from twice_governance_migration');
    expect((rows as Array<{ name: string }>).map((r) => r.name)).toEqual(['0001_registry_tables']);
  });

  it('two stores migrating a fresh database at the same time both succeed and share the tables', async () => {
    const a = open({ tablePrefix: 'race_' });
    const b = open({ tablePrefix: 'race_' });
    await Promise.all([a.migrate(), b.migrate()]);
    await a.saveService(makeService({ podName: 'race-1' }));
    expect((await b.getService('http-gw:race-1'))?.podName).toBe('race-1');
    const [rows] = await db.raw.query('select count(*) as n from race_governance_migration');
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(1);
  });

  it('keys are case-sensitive and timestamps keep their milliseconds in UTC', async () => {
    const store = open({ tablePrefix: 'case_' });
    const at = new Date('2026-01-02T03:04:05.678Z');
    await store.saveService(makeService({ serviceName: 'Gw', podName: 'p', lastHealthCheck: at }));
    await store.saveService(makeService({ serviceName: 'gw', podName: 'p' }));
    expect((await store.getServicesByName('Gw')).length).toBe(1);
    expect((await store.getService('Gw:p'))?.lastHealthCheck.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    const [rows] = await db.raw.query("select date_format(last_health_check, '%Y-%m-%d %H:%i:%s.%f') as t from case_services where service_key = 'Gw:p'");
    expect((rows as Array<{ t: string }>)[0]!.t).toBe('2026-01-02 03:04:05.678000');
  });

  it('uses a pool the host hands in and leaves it open on close', async () => {
    const pool = createPool({ uri: db.url, connectionLimit: 2, timezone: 'Z' });
    try {
      const store = new MySqlStore({ pool, tablePrefix: 'hosted_' });
      await store.saveService(makeService());
      expect((await store.getService('http-gw:http-gw-1'))?.serviceName).toBe('http-gw');
      await store.close();
      await store.close();
      const [rows] = await pool.query('select 1 as one');
      expect((rows as Array<{ one: number }>)[0]!.one).toBe(1);
      expect((await storeError(store.ping())).message).toMatch(/store is closed; create a new MySqlStore/);
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
    expect(error.message).toMatch(/^\[store-mysql\] applyBatch failed: .*status must be healthy, unhealthy or unknown/);
    expect(error.transient).toBe(false);
    expect(await db.inspect('atomic_').serviceKeys()).toEqual(['http-gw:kept']);
    expect(await db.inspect('atomic_').subscriptionPairs()).toEqual([['http-gw:kept', 'eir']]);
  });

  it('a batch whose later stage fails rolls back the statements already sent', async () => {
    const store = open({ tablePrefix: 'stages_' });
    await storeError(
      store.applyBatch([
        { type: 'save', service: makeService({ podName: 'first', subscriptions: ['eir'] }) },
        { type: 'health', key: 'http-gw:first', status: 'sleepy' as never, at: new Date() },
      ]),
    );
    expect(await db.inspect('stages_').serviceKeys()).toEqual([]);
    expect(await db.inspect('stages_').subscriptionPairs()).toEqual([]);
  });

  it('mixed batches give the same results and state as applying them one by one', async () => {
    const store = open({ tablePrefix: 'mixed_' });
    await expectBatchesMatchSequential(store);
  });

  it('a save with an invalid status changes nothing', async () => {
    const store = open({ tablePrefix: 'badsave_' });
    await store.saveService(makeService({ subscriptions: ['eir'] }));
    await storeError(store.saveService(makeService({ status: 'sleepy' as never, subscriptions: ['other'] })));
    expect(await db.inspect('badsave_').subscriptionPairs()).toEqual([['http-gw:http-gw-1', 'eir']]);
    expect((await store.getService('http-gw:http-gw-1'))?.status).toBe('unknown');
  });

  it('recovers by itself after the server kills its connection', async () => {
    const pool = createPool({ uri: db.url, connectionLimit: 1, timezone: 'Z' });
    try {
      const store = new MySqlStore({ pool, tablePrefix: 'recover_' });
      await store.saveService(makeService());
      const [rows] = await pool.query('select connection_id() as id');
      await db.raw.query(`kill ${(rows as Array<{ id: number }>)[0]!.id}`);
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
    const store = open({ connectionString: `mysql://root@127.0.0.1:${port}/test`, connectTimeoutMs: 2000 });
    const error = await storeError(store.ping());
    expect(error.message).toBe(
      `[store-mysql] ping failed: cannot connect to 127.0.0.1:${port}/test: connection refused; is the server running at 127.0.0.1:${port}/test?`,
    );
    expect(error.transient).toBe(true);
    expect(error.cause).toBeDefined();
  }, 8000);

  it('a server that never answers gives a transient timeout StoreError after connectTimeoutMs', async () => {
    const { createServer } = await import('node:net');
    const held = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const store = open({ connectionString: `mysql://root@127.0.0.1:${port}/test`, connectTimeoutMs: 300 });
      const error = await storeError(store.ping());
      expect(error.message).toMatch(/timed out/);
      expect(error.transient).toBe(true);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 8000);

  it('a wrong password is an authentication StoreError that says what to check', async () => {
    const url = new URL(MYSQL_URL);
    url.password = 'definitely-wrong';
    const store = open({ connectionString: url.toString(), connectTimeoutMs: 2000 });
    const error = await storeError(store.getService('a:b'));
    expect(error.message).toMatch(/authentication failed for user "root" .*check user\/password/);
    expect(error.transient).toBe(false);
  }, 8000);

  it('a missing database is a StoreError that says how to create it', async () => {
    const store = open({ connectionString: urlFor('gov_no_such_db'), connectTimeoutMs: 2000 });
    const error = await storeError(store.ping());
    expect(error.message).toMatch(/database "gov_no_such_db" does not exist .*create it with CREATE DATABASE `gov_no_such_db`/);
  }, 8000);
});
