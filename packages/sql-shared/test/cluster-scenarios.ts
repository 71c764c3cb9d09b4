import { keyOf, StoreError, type RegistryStore } from '@governance/core';
import { follow, headOf, makeService } from '@governance/core/testing';
import { expect, it } from 'vitest';
import { COUNTER_START_MARGIN_US } from '../src/registry-migrations';

/** A SQL store with the migrate() both SQL stores have. */
export type MigratingStore = RegistryStore & { migrate(): Promise<void>; changeFeed: NonNullable<RegistryStore['changeFeed']> };

/** How one SQL store's cluster test file plugs into the shared scenarios. */
export interface ClusterTarget {
  /** A store on the file's test database whose tables carry `tablePrefix`. */
  open(tablePrefix: string): MigratingStore;
  /** Runs SQL through the raw driver and returns the rows. */
  query(text: string): Promise<Array<Record<string, unknown>>>;
  /** The name to use in raw SQL for a table with that prefix (schema-qualified where needed). */
  table(tablePrefix: string, name: string): string;
  /** The database clock in microseconds since the epoch, read through the raw driver. */
  databaseMicros(): Promise<number>;
}

/** Migration `0002_cluster` on a real database: what it creates, where the counter starts, re-running it. */
export function clusterMigrationScenarios(target: ClusterTarget): void {
  it('0002_cluster starts the counter a day ahead of the database clock, in microseconds', async () => {
    const before = await target.databaseMicros();
    await target.open('counter_').migrate();
    const after = await target.databaseMicros();
    const rows = await target.query(`select id, seq from ${target.table('counter_', 'governance_counter')}`);
    expect(rows).toHaveLength(1);
    const start = Number(rows[0]!.seq) - COUNTER_START_MARGIN_US;
    // Bounds read from the same clock before and after (with 1 ms of rounding either way).
    expect(start).toBeGreaterThanOrEqual(before - 1_000);
    expect(start).toBeLessThanOrEqual(after + 1_000);
    expect(Number(rows[0]!.seq)).toBeLessThan(Number.MAX_SAFE_INTEGER);
    for (const name of ['governance_log', 'governance_groups', 'governance_members']) {
      expect(await target.query(`select count(*) as n from ${target.table('counter_', name)}`)).toEqual([{ n: expect.anything() }]);
    }
  });

  it('re-running an interrupted 0002_cluster recreates what is missing and keeps the counter, the log and the pods', async () => {
    const store = target.open('rerun_');
    const pod = makeService({ subscriptions: ['eir'] });
    await store.saveService(pod);
    const head = await headOf(store.changeFeed);
    // What a MySQL run cut off after its first tables leaves (no transactional DDL): some tables, no record of the migration.
    await target.query(`drop table ${target.table('rerun_', 'governance_groups')}`);
    await target.query(`drop table ${target.table('rerun_', 'governance_members')}`);
    // Cut off before 0002 was recorded, so no later migration (0003_ttl) was recorded either.
    await target.query(`delete from ${target.table('rerun_', 'governance_migration')} where name in ('0002_cluster', '0003_ttl')`);
    const again = target.open('rerun_');
    await again.migrate();
    expect(await headOf(again.changeFeed)).toBe(head);
    expect(await again.getService(keyOf(pod))).toEqual(pod);
    const other = makeService({ podName: 'after-rerun' });
    await again.saveService(other);
    const seen = await follow(again.changeFeed, head - 1);
    expect(seen.map((c) => [c.seq, c.key])).toEqual([
      [head, keyOf(pod)],
      [head + 1, keyOf(other)],
    ]);
    expect((await again.changeFeed.snapshot()).groupRevisions.get('http-gw')).toBe(head + 1);
  });

  it('0003_ttl adds the nullable ttl_ms column to a registry from before it, keeps its pods, and re-runs harmlessly', async () => {
    const store = target.open('ttl_');
    const old = makeService({ podName: 'before-0003' });
    await store.saveService(old);
    await target.query(`alter table ${target.table('ttl_', 'services')} drop column ttl_ms`);
    await target.query(`delete from ${target.table('ttl_', 'governance_migration')} where name = '0003_ttl'`);
    const upgraded = target.open('ttl_');
    await upgraded.migrate();
    expect(await upgraded.getService(keyOf(old))).toEqual(old);
    const ttlPod = makeService({ podName: 'ttl-pod', healthCheckUrl: '', ttl: 20_000 });
    await upgraded.saveService(ttlPod);
    expect(await upgraded.getService(keyOf(ttlPod))).toEqual(ttlPod);
    const rows = await target.query(`select pod_name, ttl_ms from ${target.table('ttl_', 'services')} order by pod_name`);
    expect(rows.map((r) => [r.pod_name, r.ttl_ms === null ? null : Number(r.ttl_ms)])).toEqual([
      ['before-0003', null],
      ['ttl-pod', 20_000],
    ]);
    // Interrupted after the column was added but before the migration was recorded: runs again without error.
    await target.query(`delete from ${target.table('ttl_', 'governance_migration')} where name = '0003_ttl'`);
    const again = target.open('ttl_');
    await again.migrate();
    expect(await again.getService(keyOf(ttlPod))).toEqual(ttlPod);
  });

  it('a schema that records a migration this version does not know is refused, not used', async () => {
    await target.open('future_').migrate();
    await target.query(
      `insert into ${target.table('future_', 'governance_migration')} (name, timestamp) values ('9999_from_a_newer_version', '2030-01-01T00:00:00.000Z')`,
    );
    const error = await target
      .open('future_')
      .migrate()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).operation).toBe('migrate');
    expect((error as Error).message).toMatch(/9999_from_a_newer_version/);
  });

  it('an existing registry (pods saved before 0002) keeps its pods and logs from the next write on', async () => {
    const store = target.open('upgrade_');
    const pods = ['a', 'b'].map((podName) => makeService({ podName }));
    for (const pod of pods) await store.saveService(pod);
    for (const name of ['governance_counter', 'governance_log', 'governance_groups', 'governance_members']) {
      await target.query(`drop table ${target.table('upgrade_', name)}`);
    }
    // Cut off before 0002 was recorded, so no later migration (0003_ttl) was recorded either.
    await target.query(`delete from ${target.table('upgrade_', 'governance_migration')} where name in ('0002_cluster', '0003_ttl')`);
    const upgraded = target.open('upgrade_');
    const snap = await upgraded.changeFeed.snapshot();
    expect(snap.services.map(keyOf).sort()).toEqual(pods.map(keyOf).sort());
    expect(snap.groupRevisions.size).toBe(0);
    expect(await upgraded.deleteService(keyOf(pods[0]!))).toBe(true);
    expect((await upgraded.changeFeed.readChanges(snap.head)).changes.map((c) => [c.seq, c.key, c.kind])).toEqual([
      [snap.head + 1, keyOf(pods[0]!), 'delete'],
    ]);
  });
}
