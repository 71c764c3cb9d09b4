/**
 * The coordination checks must be able to fail. Each mutant below is a PostgreSQL store with one
 * classic, deliberate defect of cluster bookkeeping; the named check must reject against it,
 * while the real store passes the same check in postgres-conformance.test.ts.
 */
import type { ChangeBatch, ClusterMember, MembershipView, RegistryChange, RegistryStore, ServiceInfo, StoreChangeFeed, StoreMembership } from '@governance/core';
import { changeFeedRaceChecks, membershipChecks } from '@governance/core/testing';
import { type PendingChange, type RegistryDatabase, SqlRegistryStore, type TableNames, tableNames } from '@governance/sql-shared';
import { Kysely, PostgresDialect, type PostgresPool, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDialectAdapter } from '../src/postgres-dialect';
import { changeChannel } from '../src/postgres-listener';
import { createTestSchema, POSTGRES_URL, postgresSkip, type TestSchema } from './postgres-test-env';

const skip = await postgresSkip();

/**
 * Numbers its log entries the way a database sequence would: taken at once in their own
 * (autocommitted) statement, so they are "used" before the writing transaction commits.
 */
class SequenceNumbering extends PostgresDialectAdapter {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool, channel: string) {
    super('test', 'postgres', channel);
    this.#pool = pool;
  }

  override async appendLog(trx: Transaction<RegistryDatabase>, t: TableNames, changes: readonly PendingChange[]): Promise<number> {
    const taken = await this.#pool.query(`update ${t.governance_counter} set seq = seq + $1 where id = 1 returning seq`, [changes.length]);
    const last = Number(taken.rows[0].seq);
    const first = last - changes.length + 1;
    for (const [i, c] of changes.entries()) {
      await sql`insert into ${sql.table(t.governance_log)} (seq, service_key, service_group, kind, created_at)
        values (${first + i}, ${c.key}, ${c.group}, ${c.kind}, now())`.execute(trx);
      await sql`insert into ${sql.table(t.governance_groups)} (service_group, revision) values (${c.group}, ${first + i})
        on conflict (service_group) do update set revision = excluded.revision`.execute(trx);
    }
    return last;
  }
}

/** A reader that remembers the last seq it saw and asks for everything above it. */
function seqGreaterThanReader(store: SqlRegistryStore, raw: pg.Pool, t: TableNames): RegistryStore {
  const feed = store.changeFeed;
  const readChanges = async (after: number): Promise<ChangeBatch> => {
    const rows = await raw.query(`select seq, service_key, service_group, kind from ${t.governance_log} where seq > $1 order by seq`, [after]);
    const changes = rows.rows.map((r): RegistryChange => ({ seq: Number(r.seq), key: r.service_key, group: r.service_group, kind: r.kind }));
    const records = new Map<string, ServiceInfo>();
    for (const c of changes) {
      const found = await store.getService(c.key);
      if (found !== undefined) records.set(c.key, found);
    }
    const head = Number((await raw.query(`select seq from ${t.governance_counter}`)).rows[0].seq);
    return { changes, records, head, truncated: false };
  };
  const mutantFeed: StoreChangeFeed = {
    applyLoggedBatch: (mutations, options) => feed.applyLoggedBatch(mutations, options),
    readChanges,
    snapshot: (options) => feed.snapshot(options),
    flushHealthTimes: (times, options) => feed.flushHealthTimes(times, options),
    prune: (olderThanMs, options) => feed.prune(olderThanMs, options),
  };
  return new Proxy(store, {
    get: (target, property) => (property === 'changeFeed' ? mutantFeed : bound(target)[property as keyof RegistryStore]),
  });
}

/** The object's methods bound to it (a proxy cannot call methods that use #private fields). */
function bound<T extends object>(object: T): T {
  return new Proxy(object, {
    get: (target, property) => {
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Membership that times leases with `Date.now()` of the process. */
class ProcessClockMembership implements StoreMembership {
  constructor(
    readonly raw: pg.Pool,
    readonly table: string,
  ) {}

  async join(id: string, leaseMs: number, info: string): Promise<MembershipView> {
    const now = Date.now();
    await this.raw.query(`insert into ${this.table} (member_id, info, joined_at, lease_expires_at) values ($1, $2, $3, $4)`, [id, info, new Date(now), new Date(now + leaseMs)]);
    return this.members();
  }

  async renew(id: string, leaseMs: number): Promise<MembershipView | undefined> {
    const now = Date.now();
    const r = await this.raw.query(`update ${this.table} set lease_expires_at = $2 where member_id = $1 and lease_expires_at > $3`, [id, new Date(now + leaseMs), new Date(now)]);
    return r.rowCount === 1 ? this.members() : undefined;
  }

  async leave(id: string): Promise<void> {
    await this.raw.query(`delete from ${this.table} where member_id = $1`, [id]);
  }

  async members(): Promise<MembershipView> {
    const now = new Date(Date.now());
    const r = await this.raw.query(`select * from ${this.table} where lease_expires_at > $1 order by member_id`, [now]);
    const members = r.rows.map((row): ClusterMember => ({ id: row.member_id, info: row.info, joinedAt: row.joined_at, leaseExpiresAt: row.lease_expires_at }));
    return { members, now };
  }
}

describe.skipIf(skip !== undefined)('coordination checks against deliberately broken PostgreSQL stores', () => {
  let schema: TestSchema;
  const closing: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    for (const close of closing) await close();
    await schema?.drop();
  });

  const mutantStore = (prefix: string): { store: SqlRegistryStore; tables: TableNames } => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    const tables = tableNames(prefix, schema.name);
    const store = new SqlRegistryStore({
      dialect: new SequenceNumbering(schema.raw, changeChannel(schema.name, prefix)),
      db: new Kysely<RegistryDatabase>({ dialect: new PostgresDialect({ pool: pool as unknown as PostgresPool }) }),
      ownsPool: true,
      tables,
      target: 'mutant',
      className: 'SequenceNumberingStore',
    });
    closing.push(() => store.close());
    return { store, tables };
  };

  it('the out-of-order check fails for a log numbered like a sequence and read as "seq > last seen"', async () => {
    const { store, tables } = mutantStore('seq_');
    await store.migrate();
    const mutant = seqGreaterThanReader(store, schema.raw, tables);
    const check = changeFeedRaceChecks['a writer that took its log position and waits holds later writers back: a follower never skips it']!;
    const failure = await check(mutant, schema.coordination(() => mutant, 'seq_')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(Error);
    // The follower meets the later seq while the earlier one is still invisible: a gap it would skip.
    expect((failure as Error).message).toMatch(/seq after \d+ at index 0|the follower saw both writes, none skipped/);
  });

  it('the clock check fails for leases timed by the process clock', async () => {
    const { store, tables } = mutantStore('clock_');
    await store.migrate();
    const membership = new ProcessClockMembership(schema.raw, tables.governance_members);
    const mutant = new Proxy(store, {
      get: (target, property) => (property === 'membership' ? membership : bound(target)[property as keyof SqlRegistryStore]),
    });
    const check = membershipChecks['leases are computed by the database clock, not the process clock']!;
    const failure = await check(mutant, schema.coordination(() => mutant, 'clock_')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/is the database clock|is live right after join|renews with the process clock/);
  });
});
