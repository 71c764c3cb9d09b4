import { makeService } from '@governance/core/testing';
import { MySqlStore, type MySqlStoreOptions } from '@governance/store-mysql';
import type { MysqlPool } from 'kysely';
import { createPool as createCallbackPool } from 'mysql2';
import { createPool } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { expectRecoversAfterDrop, sqlStoreBatchScenarios, sqlStoreConnectionScenarios, storeError } from '../../sql-shared/test/sql-store-scenarios';
import { withConnectionLifetime } from '../src/mysql-pool-lifetime';
import { MYSQL_URL, mysqlSkip, urlFor, useTestDatabase } from './mysql-test-env';

const skip = await mysqlSkip();

describe.skipIf(skip !== undefined)('MySqlStore against MariaDB/MySQL', () => {
  const scratch = useTestDatabase();
  const open = (options?: MySqlStoreOptions) => scratch.open(options);
  const target = {
    packageName: 'store-mysql',
    open: (tablePrefix: string) => open({ tablePrefix }),
    inspect: (tablePrefix: string) => scratch.db.inspect(tablePrefix),
    openAt: (port: number, connectTimeoutMs: number) => open({ connectionString: `mysql://root@127.0.0.1:${port}/test`, connectTimeoutMs }),
  } as const;

  it('migrates once, and again harmlessly from a second store', async () => {
    const a = open({ tablePrefix: 'twice_' });
    await a.migrate();
    await a.migrate();
    await open({ tablePrefix: 'twice_' }).migrate();
    const [rows] = await scratch.db.raw.query('select name from twice_governance_migration');
    expect((rows as Array<{ name: string }>).map((r) => r.name)).toEqual(['0001_registry_tables', '0002_cluster', '0003_ttl']);
  });

  it('two stores migrating a fresh database at the same time both succeed and share the tables', async () => {
    const a = open({ tablePrefix: 'race_' });
    const b = open({ tablePrefix: 'race_' });
    await Promise.all([a.migrate(), b.migrate()]);
    await a.saveService(makeService({ podName: 'race-1' }));
    expect((await b.getService('http-gw:race-1'))?.podName).toBe('race-1');
    const [rows] = await scratch.db.raw.query('select name from race_governance_migration order by name');
    expect((rows as Array<{ name: string }>).map((r) => r.name)).toEqual(['0001_registry_tables', '0002_cluster', '0003_ttl']);
  });

  it('keys are case-sensitive and timestamps keep their milliseconds in UTC', async () => {
    const store = open({ tablePrefix: 'case_' });
    const at = new Date('2026-01-02T03:04:05.678Z');
    await store.saveService(makeService({ serviceName: 'Gw', podName: 'p', lastHealthCheck: at }));
    await store.saveService(makeService({ serviceName: 'gw', podName: 'p' }));
    expect((await store.getServicesByName('Gw')).length).toBe(1);
    expect((await store.getService('Gw:p'))?.lastHealthCheck.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    const [rows] = await scratch.db.raw.query("select date_format(last_health_check, '%Y-%m-%d %H:%i:%s.%f') as t from case_services where service_key = 'Gw:p'");
    expect((rows as Array<{ t: string }>)[0]!.t).toBe('2026-01-02 03:04:05.678000');
  });

  it('refuses a date the datetime column cannot hold (year 0001 would be stored as 2001) and stores nothing', async () => {
    const store = open({ tablePrefix: 'years_' });
    const ancient = makeService({ podName: 'ancient', registeredAt: new Date('0001-01-01T00:00:00.000Z') });
    await expect(store.saveService(ancient)).rejects.toThrow(/registeredAt must be a date in the years 1000–9999 \(UTC\)/);
    await expect(store.updateHealthStatus('http-gw:ancient', 'healthy', new Date('+010000-01-01T00:00:00.000Z'))).rejects.toThrow(/at must be a date in the years 1000–9999/);
    expect(await store.getService('http-gw:ancient')).toBeUndefined();
    await store.saveService(makeService({ podName: 'ok', registeredAt: new Date('1000-01-01T00:00:00.000Z') }));
    expect((await store.getService('http-gw:ok'))?.registeredAt.toISOString()).toBe('1000-01-01T00:00:00.000Z');
  });

  it('uses a pool the host hands in and leaves it open on close', async () => {
    const pool = createPool({ uri: scratch.db.url, connectionLimit: 2, timezone: 'Z' });
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

  sqlStoreBatchScenarios(target);
  sqlStoreConnectionScenarios(target);

  it('recovers by itself after the server kills its connection', async () => {
    const pool = createPool({ uri: scratch.db.url, connectionLimit: 1, timezone: 'Z' });
    try {
      const store = new MySqlStore({ pool, tablePrefix: 'recover_' });
      await store.saveService(makeService());
      const [rows] = await pool.query('select connection_id() as id');
      await scratch.db.raw.query(`kill ${(rows as Array<{ id: number }>)[0]!.id}`);
      await expectRecoversAfterDrop(store, 'http-gw:http-gw-1', 'http-gw-1');
    } finally {
      await pool.end();
    }
  });

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

describe.skipIf(skip !== undefined)('connectionLifetimeMs on MariaDB/MySQL (mysql2 has no maximum lifetime)', () => {
  const connectionId = (pool: MysqlPool): Promise<number> =>
    new Promise((resolve, reject) =>
      pool.getConnection((error, connection) => {
        if (error) return reject(error);
        connection.query('select connection_id() as id', [], (queryError, rows) => {
          connection.release();
          if (queryError) reject(queryError);
          else resolve(Number((rows as Array<{ id: number }>)[0]!.id));
        });
      }),
    );

  it('never hands out a connection past its lifetime, and keeps reusing younger ones', async () => {
    let clock = 0;
    const raw = createCallbackPool({ uri: MYSQL_URL, connectionLimit: 1 });
    const pool = withConnectionLifetime(raw, 1_000, () => clock);
    try {
      const first = await connectionId(pool);
      clock = 999;
      expect(await connectionId(pool)).toBe(first);
      clock = 1_000;
      const second = await connectionId(pool);
      expect(second).not.toBe(first);
      clock = 1_500;
      expect(await connectionId(pool)).toBe(second);
    } finally {
      await new Promise((resolve) => raw.end(resolve));
    }
  });

  it('0 means no limit', () => {
    const raw = createCallbackPool({ uri: MYSQL_URL, connectionLimit: 1 });
    expect(withConnectionLifetime(raw, 0)).toBe(raw);
    raw.end(() => undefined);
  });
});
