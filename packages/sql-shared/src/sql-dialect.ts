import type { DateYears } from './row-mapping';
import type { RegistryChange } from '@governance/core';
import type { Kysely, RawBuilder, Transaction } from 'kysely';
import type { RegistryDatabase, TableNames } from './registry-database';
import type { ServiceInsert } from './row-mapping';

/** What a failure means, as a dialect understands its driver's error. */
export interface ErrorDescription {
  /** Human sentence saying what went wrong and what to do. */
  message: string;
  /** True when retrying later may succeed (connection lost, timeout, deadlock). */
  transient: boolean;
}

/** A database handle: the pool-backed Kysely instance or an open transaction. */
export type RegistryDb = Kysely<RegistryDatabase> | Transaction<RegistryDatabase>;

/**
 * The database handle of an open write transaction: a Kysely `Transaction`, or a Kysely bound to
 * the one connection the runner began the transaction on itself (see `beginLimited`).
 */
export type TransactionDb = Kysely<RegistryDatabase>;

/** A change about to be logged: what `RegistryChange` holds before the counter gives it a seq. */
export type PendingChange = Omit<RegistryChange, 'seq'>;

/**
 * The few things that differ between SQL servers. Each store package implements this once;
 * everything else (queries, transactions, migrations, row mapping) lives in `SqlRegistryStore`.
 */
export interface SqlDialectAdapter {
  /** Package name used in error messages: `store-postgres`, `store-mysql`. */
  readonly storeName: string;
  /** Column type of the JSON columns (`jsonb`, `json`). */
  readonly jsonType: string;
  /** Column type of the timestamps, millisecond precision (`timestamptz(3)`, `datetime(3)`). */
  readonly timestampType: string;
  /** Whether UPDATE / DELETE can return the affected keys (saves a round trip in batches). */
  readonly supportsReturning: boolean;
  /** Text appended to `CREATE TABLE` (MySQL: charset and binary collation), or `undefined`. */
  readonly tableOptions: string | undefined;
  /** The UTC years the timestamp columns hold when narrower than any `Date` (MySQL: 1000–9999). */
  readonly dateYears?: DateYears;

  /**
   * The database clock at millisecond precision, in UTC (`date_trunc('milliseconds', now())`,
   * `utc_timestamp(3)`): the only clock leases and log times are computed with.
   */
  readonly now: RawBuilder<Date>;

  /** The database's current time in microseconds since the epoch, as a bigint expression. */
  readonly epochMicros: RawBuilder<number>;

  /** `base` plus `ms` milliseconds, as a timestamp expression. */
  plusMs(base: RawBuilder<Date>, ms: number): RawBuilder<Date>;

  /**
   * Appends `changes` (at least one) to the change log inside the open transaction `trx`, as the
   * transaction's last work before COMMIT: takes the next `changes.length` numbers from
   * `governance_counter` (whose row lock then orders the commit), inserts the entries with those
   * seqs in order, raises `governance_groups.revision` of the groups touched and, where the
   * database has notifications, queues a wake-up hint delivered at commit. Returns the last seq.
   */
  appendLog(trx: TransactionDb, tables: TableNames, changes: readonly PendingChange[]): Promise<number>;

  /** Inserts the counter row with `seq` = `start` unless it exists (re-running a migration keeps it). */
  ensureCounter(db: RegistryDb, tables: TableNames, start: RawBuilder<number>): Promise<void>;

  /** Inserts rows into `services`, replacing every column of rows whose key exists. */
  upsertServices(db: RegistryDb, tables: TableNames, rows: readonly ServiceInsert[]): Promise<void>;

  /** Inserts (subscriber, group) pairs, skipping pairs that already exist. */
  insertSubscriptions(
    db: RegistryDb,
    tables: TableNames,
    pairs: ReadonlyArray<{ subscriber_key: string; service_group: string }>,
  ): Promise<void>;

  /** Creates an index unless one of that name exists on the table. */
  ensureIndex(db: RegistryDb, table: string, plainTable: string, name: string, columns: string[]): Promise<void>;

  /** Explains a driver error, or `undefined` to fall back to the shared network classification. */
  describeError(error: unknown, target: string): ErrorDescription | undefined;

  /**
   * One query text, sent without parameters, that begins a write transaction (with `isolation`
   * when given) and makes the server end any of its statements that runs, or waits for a lock,
   * longer than `ms`, with an error that rolls the transaction back (PostgreSQL: `begin; set local
   * statement_timeout …; set local lock_timeout …` in one round trip, for this transaction only,
   * so a pool the host shares keeps its own settings). Absent when the store sets its limits on
   * each connection as it opens instead (MySQL/MariaDB, whose limits are session settings): the
   * runner then begins with Kysely.
   */
  beginLimited?(ms: number, isolation?: 'repeatable read'): string;

  /** True for deadlocks and serialization failures: the transaction may simply be run again. */
  isRetryable(error: unknown): boolean;
}
