import { keyOf } from '@governance/core';
import { follow, headOf, makePods, makeService } from '@governance/core/testing';
import { MySqlStore, type MySqlStoreOptions } from '@governance/store-mysql';
import { createPool } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { clusterMigrationScenarios } from '../../sql-shared/test/cluster-scenarios';
import { mysqlSkip, useTestDatabase } from './mysql-test-env';

const skip = await mysqlSkip();

describe.skipIf(skip !== undefined)('MySqlStore cluster tables and change log', () => {
  const scratch = useTestDatabase();
  const open = (options?: MySqlStoreOptions) => scratch.open(options);

  clusterMigrationScenarios({
    open: (tablePrefix) => open({ tablePrefix }),
    query: async (text) => (await scratch.db.raw.query(text))[0] as Array<Record<string, unknown>>,
    table: (tablePrefix, name) => `${tablePrefix}${name}`,
    databaseMicros: async () => {
      const [rows] = await scratch.db.raw.query('select cast(unix_timestamp(now(6)) * 1000000 as signed) as us');
      return Number((rows as Array<{ us: number | string }>)[0]!.us);
    },
  });

  it('has no watch: MySQL has no notifications, managers poll the log', () => {
    const store = open();
    expect('watch' in store.changeFeed).toBe(false);
    expect(store.changeFeed.watch).toBeUndefined();
  });

  it('takes dense log positions through a host mysql2/promise pool too', async () => {
    const pool = createPool({ uri: scratch.db.url, connectionLimit: 3, timezone: 'Z' });
    try {
      const store = new MySqlStore({ pool, tablePrefix: 'hosted_' });
      const start = await headOf(store.changeFeed);
      const pods = makePods('udm', 20);
      const results = await Promise.all(pods.map((pod) => store.changeFeed.applyLoggedBatch([{ type: 'save', service: pod }])));
      expect(results.map((r) => r.lastSeq).sort()).toEqual(pods.map((_, i) => start + 1 + i));
      expect((await follow(store.changeFeed, start)).map((c) => c.key).sort()).toEqual(pods.map(keyOf).sort());
      await store.close();
    } finally {
      await pool.end();
    }
  });

  it('timestamps of the log and of leases are UTC whatever the session time zone', async () => {
    const pool = createPool({ uri: scratch.db.url, connectionLimit: 1, timezone: 'Z' });
    try {
      await pool.query("set time_zone = '+05:00'");
      const store = new MySqlStore({ pool, tablePrefix: 'zone_' });
      const view = await store.membership.join('zoned', 30_000, 'tz +05:00');
      const [rows] = await scratch.db.raw.query('select utc_timestamp(3) as now');
      const utc = (rows as Array<{ now: Date }>)[0]!.now;
      expect(Math.abs(view.now.getTime() - utc.getTime())).toBeLessThan(60_000);
      await store.saveService(makeService());
      const [log] = await scratch.db.raw.query('select created_at from zone_governance_log');
      expect(Math.abs((log as Array<{ created_at: Date }>)[0]!.created_at.getTime() - utc.getTime())).toBeLessThan(60_000);
      await store.membership.leave('zoned');
      await store.close();
    } finally {
      await pool.end();
    }
  });
});
