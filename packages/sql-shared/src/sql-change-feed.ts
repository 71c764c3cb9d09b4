import type {
  ChangeBatch,
  LoggedBatchResult,
  RegistryChange,
  RegistrySnapshot,
  ServiceInfo,
  StoreCallOptions,
  StoreChangeFeed,
  StoreMutation,
} from '@governance/core';
import { sql } from 'kysely';
import { ArgumentChecks } from './argument-checks';
import type { RegistryDb } from './sql-dialect';
import { rowToService, validDate } from './row-mapping';
import { CHUNK } from './registry-writes';
import type { SqlRunner } from './sql-runner';

/** Default and largest `limit` of `readChanges`. */
const DEFAULT_LIMIT = 1_000;
const MAX_LIMIT = 10_000;
/** Log entries deleted per statement by `prune`, so no statement holds many locks for long. */
const PRUNE_WINDOW = 10_000;
/** Longest retention `prune` accepts: about 24 days (the largest 32-bit millisecond count). */
const MAX_AGE_MS = 2_147_483_647;

/**
 * Opens a dedicated listening connection: `onHint` after any logged commit, `onError` when the
 * connection is lost (it reconnects by itself). Rejects when the first connection fails.
 */
export type ChangeListener = (onHint: (seq?: number) => void, onError: (error: Error) => void) => Promise<{ close(): Promise<void> }>;

type LoggedBatch = (mutations: readonly StoreMutation[], options?: StoreCallOptions) => Promise<LoggedBatchResult>;

/**
 * The change log of a SQL store (`StoreChangeFeed`). The log is dense and commits in seq order
 * because every logged transaction takes the counter row's lock last (see `appendLog`).
 * Snapshot reads run in one read-only REPEATABLE READ transaction. `watch` exists only where the
 * database has notifications (PostgreSQL).
 */
export class SqlChangeFeed implements StoreChangeFeed {
  declare readonly watch?: StoreChangeFeed['watch'];
  readonly #runner: SqlRunner;
  readonly #applyLogged: LoggedBatch;

  constructor(runner: SqlRunner, applyLogged: LoggedBatch, listen: ChangeListener | undefined) {
    this.#runner = runner;
    this.#applyLogged = applyLogged;
    if (listen !== undefined) this.watch = (onHint, onError) => this.#watch(listen, onHint, onError);
  }

  applyLoggedBatch(mutations: readonly StoreMutation[], options?: StoreCallOptions): Promise<LoggedBatchResult> {
    return this.#applyLogged(mutations, options);
  }

  /**
   * Changes after `after` in one snapshot. A cheap primary-key read of the counter answers the
   * common "nothing new" poll without a transaction. The changes returned always start at
   * `after + 1` and stop before any seq not visible yet; `truncated` is set only when entries the
   * caller needs were pruned, or when `after` is beyond the head (the log went backwards, e.g. a
   * restored backup).
   */
  async readChanges(after: number, options?: StoreCallOptions & { limit?: number }): Promise<ChangeBatch> {
    const limit = options?.limit ?? DEFAULT_LIMIT;
    new ArgumentChecks(this.#runner.storeName, 'readChanges')
      .integer('after', after, 0, Number.MAX_SAFE_INTEGER)
      .integer('limit', limit, 1, MAX_LIMIT)
      .done();
    return this.#runner.run('readChanges', options, async (db) => {
      const head = await this.#head(db);
      if (head === after) return nothingNew(head, false);
      if (head < after) return nothingNew(head, true);
      return this.#runner.transaction((trx) => this.#readSince(trx, after, limit), { isolation: 'repeatable read', readOnly: true });
    });
  }

  async snapshot(options?: StoreCallOptions): Promise<RegistrySnapshot> {
    const { tables } = this.#runner;
    return this.#runner.run('snapshot', options, () =>
      this.#runner.transaction(
        async (trx) => {
          const head = await this.#head(trx);
          const rows = await trx.selectFrom(tables.services).selectAll().execute();
          const groups = await trx.selectFrom(tables.governance_groups).select(['service_group', 'revision']).execute();
          return {
            head,
            services: rows.map(rowToService),
            groupRevisions: new Map(groups.map((g) => [g.service_group, Number(g.revision)])),
          };
        },
        { isolation: 'repeatable read', readOnly: true },
      ),
    );
  }

  /** Batched UPDATEs outside the log; a stored time later than the given one is kept. */
  async flushHealthTimes(times: ReadonlyMap<string, Date>, options?: StoreCallOptions): Promise<number> {
    const checks = new ArgumentChecks(this.#runner.storeName, 'flushHealthTimes');
    for (const [key, at] of times) checks.date(`times[${JSON.stringify(key)}]`, at);
    checks.done();
    if (times.size === 0) {
      this.#runner.assertOpen('flushHealthTimes', options);
      return 0;
    }
    const { tables, dialect } = this.#runner;
    const stamp = sql.raw(dialect.timestampType);
    const entries = [...times];
    return this.#runner.run('flushHealthTimes', options, async (db) => {
      let updated = 0;
      for (let at = 0; at < entries.length; at += CHUNK) {
        const chunk = entries.slice(at, at + CHUNK);
        const cases = sql.join(chunk.map(([key, time]) => sql`when ${key} then cast(${validDate(time, 'at')} as ${stamp})`), sql` `);
        const result = await db
          .updateTable(tables.services)
          .set({ last_health_check: sql<Date>`greatest(${sql.ref('last_health_check')}, case ${sql.ref('service_key')} ${cases} end)` })
          .where('service_key', 'in', chunk.map(([key]) => key))
          .executeTakeFirst();
        updated += Number(result.numUpdatedRows);
      }
      return updated;
    });
  }

  /**
   * Deletes, in windows of 10,000 seqs, every entry before the first one (in seq order) that is
   * younger than `olderThanMs` by the database clock, and never the newest entry. Entries are
   * deleted oldest first, so a concurrent reader either finds what it needs or learns it was
   * pruned (`truncated`).
   */
  async prune(olderThanMs: number, options?: StoreCallOptions): Promise<number> {
    new ArgumentChecks(this.#runner.storeName, 'prune').integer('olderThanMs', olderThanMs, 0, MAX_AGE_MS).done();
    const { tables, dialect } = this.#runner;
    return this.#runner.run('prune', options, async (db) => {
      const bounds = await db
        .selectFrom(tables.governance_log)
        .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
        .executeTakeFirstOrThrow();
      if (bounds.first === null || bounds.last === null) return 0;
      const young = await db
        .selectFrom(tables.governance_log)
        .select('seq')
        .where('created_at', '>=', dialect.plusMs(dialect.now, -olderThanMs))
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst();
      const end = Math.min(Number(young?.seq ?? bounds.last), Number(bounds.last));
      let deleted = 0;
      for (let from = Number(bounds.first); from < end; from += PRUNE_WINDOW) {
        const result = await db
          .deleteFrom(tables.governance_log)
          .where('seq', '>=', from)
          .where('seq', '<', Math.min(from + PRUNE_WINDOW, end))
          .executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      }
      return deleted;
    });
  }

  async #watch(listen: ChangeListener, onHint: (seq?: number) => void, onError?: (error: Error) => void): Promise<{ close(): Promise<void> }> {
    this.#runner.assertOpen('watch', undefined);
    let listener: { close(): Promise<void> };
    try {
      listener = await listen(onHint, onError ?? (() => undefined));
    } catch (error) {
      throw this.#runner.wrap('watch', error);
    }
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => (closing ??= listener.close().catch(() => undefined));
    const unregister = this.#runner.onClose(close);
    if (this.#runner.closed) await close();
    return {
      close: () => {
        unregister();
        return close();
      },
    };
  }

  async #readSince(trx: RegistryDb, after: number, limit: number): Promise<ChangeBatch> {
    const { tables } = this.#runner;
    const head = await this.#head(trx);
    const rows = await trx
      .selectFrom(tables.governance_log)
      .select(['seq', 'service_key', 'service_group', 'kind'])
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(limit)
      .execute();
    const changes: RegistryChange[] = [];
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== after + changes.length + 1) break;
      changes.push({ seq, key: row.service_key, group: row.service_group, kind: row.kind as RegistryChange['kind'] });
    }
    if (changes.length === 0) {
      const first = await trx
        .selectFrom(tables.governance_log)
        .select((eb) => eb.fn.min('seq').as('first'))
        .executeTakeFirstOrThrow();
      // after + 1 is gone when the oldest entry left is newer than it (or nothing is left).
      const pruned = after < head && (first.first === null || Number(first.first) > after + 1);
      return nothingNew(head, pruned);
    }
    const records = new Map<string, ServiceInfo>();
    const keys = [...new Set(changes.map((c) => c.key))];
    for (let at = 0; at < keys.length; at += CHUNK) {
      const found = await trx.selectFrom(tables.services).selectAll().where('service_key', 'in', keys.slice(at, at + CHUNK)).execute();
      for (const row of found) records.set(row.service_key, rowToService(row));
    }
    return { changes, records, head, truncated: false };
  }

  /** The log head: the counter's value. */
  async #head(db: RegistryDb): Promise<number> {
    const row = await db.selectFrom(this.#runner.tables.governance_counter).select('seq').where('id', '=', 1).executeTakeFirst();
    if (row === undefined) {
      throw new Error(`the change-log counter row is missing from ${this.#runner.tables.plain.governance_counter}; run the 0002_cluster migration again (delete its row from the migration table)`);
    }
    return Number(row.seq);
  }
}

function nothingNew(head: number, truncated: boolean): ChangeBatch {
  return { changes: [], records: new Map(), head, truncated };
}
