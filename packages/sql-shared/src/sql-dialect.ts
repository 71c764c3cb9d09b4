import type { Kysely, Transaction } from 'kysely';
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

  /** True for deadlocks and serialization failures: the transaction may simply be run again. */
  isRetryable(error: unknown): boolean;
}
