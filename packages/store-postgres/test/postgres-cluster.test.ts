import { fileURLToPath } from 'node:url';
import { StoreError } from '@governance/core';
import { makeService } from '@governance/core/testing';
import { PostgresStore, type PostgresStoreOptions } from '@governance/store-postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { clusterMigrationScenarios } from '../../sql-shared/test/cluster-scenarios';
import { closedPort } from '../../sql-shared/test/sql-store-scenarios';
import { TcpProxy } from '../../../test/support/tcp-proxy';
import { changeChannel, listenerName, PostgresListener } from '../src/postgres-listener';
import { POSTGRES_URL, postgresSkip, useTestSchema } from './postgres-test-env';
import { runFixture } from '../../../test/support/fixture-process';
import { waitFor } from '../../../test/support/wait';

const skip = await postgresSkip();

/** A raw LISTEN on `channels`, collecting every notification. */
async function rawListener(channels: string[]): Promise<{ got: Array<{ channel: string; payload?: string }>; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const got: Array<{ channel: string; payload?: string }> = [];
  client.on('notification', (n) => got.push({ channel: n.channel, payload: n.payload }));
  for (const channel of channels) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  return { got, end: () => client.end() };
}

describe.skipIf(skip !== undefined)('PostgresStore cluster tables, NOTIFY and LISTEN', () => {
  const scratch = useTestSchema();
  const open = (options?: PostgresStoreOptions) => scratch.open(options);

  clusterMigrationScenarios({
    open: (tablePrefix) => open({ tablePrefix }),
    query: async (text) => (await scratch.schema.raw.query(text)).rows,
    table: (tablePrefix, name) => `${scratch.schema.name}.${tablePrefix}${name}`,
    databaseMicros: async () => Number((await scratch.schema.raw.query(`select (extract(epoch from clock_timestamp()) * 1000000)::bigint as us`)).rows[0].us),
  });

  it('a store on an up-to-date schema starts without the Migrator (it does not wait for the migration lock)', async () => {
    await open({ tablePrefix: 'uptodate_' }).migrate();
    const holder = await scratch.schema.raw.connect();
    try {
      // Kysely's PostgreSQL migration lock: a session advisory lock, one per database.
      await holder.query('select pg_advisory_lock(3853314791062309107)');
      const migrated = open({ tablePrefix: 'uptodate_' })
        .migrate()
        .then(() => 'migrated');
      const blocked = new Promise((resolve) => setTimeout(() => resolve('waited for the migration lock'), 5_000).unref());
      expect(await Promise.race([migrated, blocked])).toBe('migrated');
    } finally {
      await holder.query('select pg_advisory_unlock(3853314791062309107)');
      holder.release();
    }
  });

  it('each registry notifies on its own channel (schema and prefix), with the last seq as payload', async () => {
    const a = open({ tablePrefix: 'chan_a_' });
    const b = open({ tablePrefix: 'chan_b_' });
    await Promise.all([a.migrate(), b.migrate()]);
    const channels = [changeChannel(scratch.schema.name, 'chan_a_'), changeChannel(scratch.schema.name, 'chan_b_')];
    expect(channels).toEqual([`${scratch.schema.name}.chan_a_governance_changes`, `${scratch.schema.name}.chan_b_governance_changes`]);
    const listener = await rawListener(channels);
    try {
      const first = await a.changeFeed.applyLoggedBatch([{ type: 'save', service: makeService({ podName: 'on-a' }) }]);
      const second = await b.changeFeed.applyLoggedBatch([{ type: 'save', service: makeService({ podName: 'on-b' }) }]);
      await a.changeFeed.applyLoggedBatch([{ type: 'delete', key: 'http-gw:missing' }]);
      const third = await a.changeFeed.applyLoggedBatch([{ type: 'delete', key: 'http-gw:on-a' }]);
      await waitFor(() => listener.got.length >= 3, 'three notifications', 10_000);
      // Notifications arrive in commit order; the no-op write in between sent none.
      expect(listener.got).toEqual([
        { channel: channels[0], payload: String(first.lastSeq) },
        { channel: channels[1], payload: String(second.lastSeq) },
        { channel: channels[0], payload: String(third.lastSeq) },
      ]);
    } finally {
      await listener.end();
    }
  });

  it('a schema and prefix too long for a channel name get a hashed channel that still works', async () => {
    const prefix = `p${'x'.repeat(29)}`;
    const channel = changeChannel(scratch.schema.name, prefix);
    expect(channel).toMatch(/^governance_changes_[0-9a-f]{24}$/);
    expect(changeChannel(scratch.schema.name, `${prefix.slice(0, -1)}y`)).not.toBe(channel);
    const store = open({ tablePrefix: prefix });
    await store.migrate();
    const listener = await rawListener([channel]);
    const hints: Array<number | undefined> = [];
    const watch = await store.changeFeed.watch!((seq) => hints.push(seq));
    try {
      await store.saveService(makeService());
      await waitFor(() => listener.got.length === 1 && hints.length >= 1, 'the notification and the hint', 10_000);
      expect(listener.got[0]!.channel).toBe(channel);
      // The hint carries the seq the commit appended, so a replica that applied it skips the read.
      expect(hints[0]).toBe(Number(listener.got[0]!.payload));
      expect(hints[0]).toBeGreaterThan(0);
    } finally {
      await watch!.close();
      await listener.end();
    }
  });

  it('listens on a dedicated connection named after its channel, never a pooled one', async () => {
    const store = open({ tablePrefix: 'dedicated_', maxConnections: 1 });
    await store.migrate();
    const watch = await store.changeFeed.watch!(() => undefined);
    try {
      const found = await scratch.schema.raw.query(`select query from pg_stat_activity where datname = current_database() and application_name = $1`, [
        listenerName(changeChannel(scratch.schema.name, 'dedicated_')),
      ]);
      expect(found.rows).toHaveLength(1);
      expect(found.rows[0].query).toMatch(/^LISTEN "/);
      // The single pooled connection stays usable for ordinary calls while the listener is open.
      await store.saveService(makeService());
      expect(await store.getService('http-gw:http-gw-1')).toBeDefined();
    } finally {
      await watch!.close();
    }
  });

  it('watch through a host pg.Pool opens its own client with the pool settings', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    try {
      const store = new PostgresStore({ pool, schema: scratch.schema.name, tablePrefix: 'hostpool_' });
      let hints = 0;
      const watch = await store.changeFeed.watch!(() => hints++);
      await store.saveService(makeService());
      await waitFor(() => hints > 0, 'a hint', 10_000);
      await store.close();
      await watch!.close();
      expect((await pool.query('select 1 as one')).rows[0].one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('watch rejects with a transient StoreError when it cannot connect', async () => {
    const port = await closedPort();
    const store = open({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, schema: undefined, connectTimeoutMs: 1000 });
    const error = await store.changeFeed.watch!(() => undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).operation).toBe('watch');
    expect((error as StoreError).transient).toBe(true);
    expect((error as Error).message).toMatch(/^\[store-postgres\] watch failed: cannot connect to 127\.0\.0\.1:\d+\/test: connection refused/);
  });

  it('a listener whose server goes away reports it, retries with growing backoff and listens again once it is back', async () => {
    const server = new URL(POSTGRES_URL);
    const proxy = new TcpProxy(server.hostname, Number(server.port || 5432));
    const url = new URL(POSTGRES_URL);
    url.host = `127.0.0.1:${await proxy.start()}`;
    const store = open({ connectionString: url.toString(), tablePrefix: 'proxy_', connectTimeoutMs: 1000 });
    const direct = open({ tablePrefix: 'proxy_' });
    await direct.migrate();
    const errors: string[] = [];
    let hints = 0;
    const watch = await store.changeFeed.watch!(
      () => hints++,
      (error) => errors.push(error.message),
    );
    try {
      proxy.cut();
      await waitFor(() => errors.length >= 4, 'four reports while the server is unreachable', 10_000);
      expect(errors[0]).toMatch(/^\[store-postgres\] the LISTEN connection to 127\.0\.0\.1:\d+\/test was lost \(.*\); reconnecting in \d+ ms$/);
      expect(errors[1]).toMatch(/could not be re-opened \(.*\); reconnecting in \d+ ms$/);
      const delays = errors.slice(0, 4).map((m) => Number(/reconnecting in (\d+) ms/.exec(m)![1]));
      expect(delays[1]).toBeGreaterThanOrEqual(delays[0]!);
      expect(delays[2]).toBeGreaterThanOrEqual(delays[1]!);
      expect(delays[3]).toBeGreaterThan(delays[0]!);
      const before = hints;
      proxy.restore();
      await waitFor(() => hints > before, 'the catch-up hint after listening again', 10_000);
      const caughtUp = hints;
      await direct.saveService(makeService({ podName: 'after-restore' }));
      await waitFor(() => hints > caughtUp, 'a hint for a commit made after the reconnect', 10_000);
    } finally {
      await watch!.close();
      await proxy.stop();
    }
  });

  it('a listening connection that stops answering (a network black hole) is found by the heartbeat and replaced', async () => {
    const server = new URL(POSTGRES_URL);
    const proxy = new TcpProxy(server.hostname, Number(server.port || 5432));
    const url = new URL(POSTGRES_URL);
    url.host = `127.0.0.1:${await proxy.start()}`;
    const channel = `${scratch.schema.name}.stall_governance_changes`;
    const errors: string[] = [];
    let hints = 0;
    const listener = await PostgresListener.start(
      { connectionString: url.toString(), connectionTimeoutMillis: 1000 },
      channel,
      'behind a proxy',
      { onHint: () => hints++, onError: (error) => errors.push(error.message) },
      { everyMs: 200, timeoutMs: 300 },
    );
    try {
      proxy.stall();
      await waitFor(() => errors.some((m) => /was lost \(no answer to a heartbeat within 300 ms\)/.test(m)), 'the heartbeat to give up', 10_000);
      proxy.restore();
      await waitFor(() => hints > 0, 'the catch-up hint once listening again', 10_000);
      const before = hints;
      await scratch.schema.raw.query('select pg_notify($1, $2)', [channel, 'after the black hole']);
      await waitFor(() => hints > before, 'a notification through the new connection', 10_000);
    } finally {
      await listener.close();
      await proxy.stop();
    }
  });

  it('closing the store closes its listeners', async () => {
    const store = open({ tablePrefix: 'closing_' });
    await store.changeFeed.watch!(() => undefined);
    const name = listenerName(changeChannel(scratch.schema.name, 'closing_'));
    const count = async () => (await scratch.schema.raw.query('select count(*)::int as n from pg_stat_activity where application_name = $1', [name])).rows[0].n;
    expect(await count()).toBe(1);
    await store.close();
    await waitFor(async () => (await count()) === 0, 'the listening connection to end', 10_000);
  });

  it('a process whose listener is still open exits on its own (socket and timers unref\'d)', async () => {
    const script = fileURLToPath(new URL('./fixtures/listen-child.ts', import.meta.url));
    const { code, output: out } = await runFixture(script, { args: [POSTGRES_URL, `${scratch.schema.name}.exit_governance_changes`], hangAfterMs: 45_000 });
    expect(out).toContain('listening');
    expect(code).toBe(0);
  }, 60_000);
});
