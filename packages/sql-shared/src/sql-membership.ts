import { StoreError, type ClusterMember, type MembershipView, type StoreCallOptions, type StoreMembership } from '@governance/core';
import { sql } from 'kysely';
import { ArgumentChecks } from './argument-checks';
import { toDate } from './row-mapping';
import type { RegistryDb } from './sql-dialect';
import type { SqlRunner } from './sql-runner';

/** Longest lease accepted: about 24 days (the largest 32-bit millisecond count). */
const MAX_LEASE_MS = 2_147_483_647;
/** Rows whose lease lapsed longer ago than this are deleted when someone joins. */
const HOUSEKEEPING_MS = 3_600_000;

interface MemberRow {
  now: Date | string;
  member_id: string | null;
  info: string | null;
  joined_at: Date | string | null;
  lease_expires_at: Date | string | null;
}

/**
 * Membership leases in `governance_members` (`StoreMembership`). Every time is computed by the
 * database (`dialect.now`: `now()` on PostgreSQL, `utc_timestamp(3)` on MySQL); the process clock
 * is never read, so replicas whose clocks disagree still agree on who is live.
 */
export class SqlMembership implements StoreMembership {
  readonly #runner: SqlRunner;

  constructor(runner: SqlRunner) {
    this.#runner = runner;
  }

  /**
   * In one transaction: deletes rows lapsed for over an hour, then inserts `id` (or takes over its
   * lapsed row, locked first so two joins of one id cannot both win). A live `id` is refused.
   */
  async join(id: string, leaseMs: number, info: string, options?: StoreCallOptions): Promise<MembershipView> {
    this.#check('join', id, leaseMs).text('info', info, 512, 0).done();
    const { tables, dialect } = this.#runner;
    const now = dialect.now;
    return this.#runner.run('join', options, async (db) => {
      await this.#runner.transaction(async (trx) => {
        await trx.deleteFrom(tables.governance_members).where('lease_expires_at', '<', dialect.plusMs(now, -HOUSEKEEPING_MS)).execute();
        const existing = await trx
          .selectFrom(tables.governance_members)
          .select([sql<number | boolean>`case when lease_expires_at > ${now} then 1 else 0 end`.as('live'), 'lease_expires_at'])
          .where('member_id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        const lease = { info, joined_at: now, lease_expires_at: dialect.plusMs(now, leaseMs) };
        if (existing === undefined) {
          await trx.insertInto(tables.governance_members).values({ member_id: id, ...lease }).execute();
        } else if (Number(existing.live) === 1) {
          const until = toDate(existing.lease_expires_at).toISOString();
          throw new StoreError(this.#runner.storeName, 'join', `member "${id}" already holds a live lease (until ${until} by the database clock); join with a new id`);
        } else {
          await trx.updateTable(tables.governance_members).set(lease).where('member_id', '=', id).execute();
        }
      });
      return this.#view(db);
    });
  }

  /**
   * Extends the lease only while it has not lapsed (the condition is part of the UPDATE, so a
   * lapsed lease can never be revived), then reads the live members; `undefined` when `id` is not
   * among them.
   */
  async renew(id: string, leaseMs: number, options?: StoreCallOptions): Promise<MembershipView | undefined> {
    this.#check('renew', id, leaseMs).done();
    const { tables, dialect } = this.#runner;
    return this.#runner.run('renew', options, async (db) => {
      await db
        .updateTable(tables.governance_members)
        .set({ lease_expires_at: dialect.plusMs(dialect.now, leaseMs) })
        .where('member_id', '=', id)
        .where('lease_expires_at', '>', dialect.now)
        .execute();
      const view = await this.#view(db);
      return view.members.some((m) => m.id === id) ? view : undefined;
    });
  }

  async leave(id: string, options?: StoreCallOptions): Promise<void> {
    new ArgumentChecks(this.#runner.storeName, 'leave').text('id', id, 255).done();
    const { tables } = this.#runner;
    await this.#runner.run('leave', options, (db) => db.deleteFrom(tables.governance_members).where('member_id', '=', id).execute());
  }

  async members(options?: StoreCallOptions): Promise<MembershipView> {
    return this.#runner.run('members', options, (db) => this.#view(db));
  }

  #check(call: string, id: unknown, leaseMs: unknown): ArgumentChecks {
    return new ArgumentChecks(this.#runner.storeName, call).text('id', id, 255).integer('leaseMs', leaseMs, 1, MAX_LEASE_MS);
  }

  /** The live members and the database clock, in one statement (one row with nulls when nobody is live). */
  async #view(db: RegistryDb): Promise<MembershipView> {
    const { tables, dialect } = this.#runner;
    const { rows } = await sql<MemberRow>`select t.now, m.member_id, m.info, m.joined_at, m.lease_expires_at
      from (select ${dialect.now} as now) t
      left join ${sql.table(tables.governance_members)} m on m.lease_expires_at > t.now`.execute(db);
    const members: ClusterMember[] = [];
    for (const row of rows) {
      if (row.member_id === null) continue;
      members.push({ id: row.member_id, info: row.info ?? '', joinedAt: toDate(row.joined_at!), leaseExpiresAt: toDate(row.lease_expires_at!) });
    }
    members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { members, now: toDate(rows[0]!.now) };
  }
}
