import { StoreError, type StoreCallOptions, type StoreOperation } from '@governance/core';
import { CompiledQuery, type Kysely, Migrator, sql } from 'kysely';
import { toStoreError } from './error-classifier';
import type { RegistryDatabase, TableNames } from './registry-database';
import { InCodeMigrationProvider, registryMigrations } from './registry-migrations';
import type { SqlDialectAdapter, TransactionDb } from './sql-dialect';

const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** Attempts of a transaction that hit a deadlock or serialization failure. */
const TRANSACTION_ATTEMPTS = 3;

/** How a transaction runs: writes use the pool's default; snapshot reads ask for more. */
export interface TransactionMode {
  /** `repeatable read`: every statement reads the same snapshot (one consistent view of log and records). */
  isolation?: 'repeatable read';
  readOnly?: boolean;
}

/** What a runner needs: the pieces of `SqlStoreSetup` every part of a SQL store shares. */
export interface SqlRunnerSetup {
  dialect: SqlDialectAdapter;
  db: Kysely<RegistryDatabase>;
  /** Whether `close()` may end the pool (false for a pool the host handed in). */
  ownsPool: boolean;
  tables: TableNames;
  /** `host:port/database` (or a description of the host's pool), for error messages. */
  target: string;
  /** Class name for messages (`PostgresStore`). */
  className: string;
  /** Server-side limit (ms) of each statement and lock wait of a write transaction; 0 or absent = none. */
  statementTimeoutMs?: number;
}

/**
 * The plumbing every part of a SQL store (records, change feed, membership) goes through: the
 * open/closed state, first-use migration, error wrapping and the one place transactions begin
 * (so per-transaction settings such as statement or lock timeouts are added here once).
 */
export class SqlRunner {
  readonly dialect: SqlDialectAdapter;
  readonly db: Kysely<RegistryDatabase>;
  readonly tables: TableNames;
  readonly target: string;
  readonly className: string;
  readonly #ownsPool: boolean;
  readonly #statementTimeoutMs: number;
  readonly #onClose = new Set<() => Promise<void>>();
  #migrated: Promise<void> | undefined;
  #ready = false;
  #closing: Promise<void> | undefined;

  constructor(setup: SqlRunnerSetup) {
    this.dialect = setup.dialect;
    this.db = setup.db;
    this.tables = setup.tables;
    this.target = setup.target;
    this.className = setup.className;
    this.#ownsPool = setup.ownsPool;
    this.#statementTimeoutMs = setup.statementTimeoutMs ?? 0;
  }

  get storeName(): string {
    return this.dialect.storeName;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Runs the migrations once (a failed attempt is retried by the next call). */
  async migrate(options?: StoreCallOptions): Promise<void> {
    this.assertOpen('migrate', options);
    if (this.#ready) return;
    this.#migrated ??= this.#runMigrations().then(
      () => {
        this.#ready = true;
      },
      (error: unknown) => {
        this.#migrated = undefined;
        throw error;
      },
    );
    await this.#migrated;
  }

  /** Throws when the store is closed or the call was aborted before it started. */
  assertOpen(operation: StoreOperation, options: StoreCallOptions | undefined): void {
    if (this.#closing !== undefined) {
      throw new StoreError(this.storeName, operation, `the store is closed; create a new ${this.className}`);
    }
    options?.signal?.throwIfAborted();
  }

  /** Runs `fn` on the pool after the migrations, wrapping any failure in a `StoreError` for `operation`. */
  async run<T>(operation: StoreOperation, options: StoreCallOptions | undefined, fn: (db: Kysely<RegistryDatabase>) => Promise<T>): Promise<T> {
    this.assertOpen(operation, options);
    if (!this.#ready) await this.migrate(options);
    try {
      return await fn(this.db);
    } catch (error) {
      throw this.wrap(operation, error);
    }
  }

  /** Wraps a driver failure (a `StoreError` passes through). */
  wrap(operation: StoreOperation, error: unknown): StoreError {
    return toStoreError(this.dialect, operation, error, this.target);
  }

  /**
   * Runs `fn` in one transaction, again from the start (up to 3 attempts) when the database
   * aborted it for a deadlock or serialization failure; `fn` must therefore derive everything it
   * returns from what it reads inside the transaction. A write transaction is limited by
   * `statementTimeoutMs` on the server: a statement that runs or waits for a lock longer fails,
   * and the transaction is rolled back (a definite outcome, unlike a client-side abandon).
   */
  async transaction<T>(fn: (trx: TransactionDb) => Promise<T>, mode: TransactionMode = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const limit = mode.readOnly === true ? 0 : this.#statementTimeoutMs;
        if (limit > 0 && this.dialect.beginLimited !== undefined) {
          return await this.#limitedTransaction(this.dialect.beginLimited(limit, mode.isolation), fn);
        }
        let builder = this.db.transaction();
        if (mode.isolation !== undefined) builder = builder.setIsolationLevel(mode.isolation);
        if (mode.readOnly === true) builder = builder.setAccessMode('read only');
        return await builder.execute(fn);
      } catch (error) {
        if (attempt >= TRANSACTION_ATTEMPTS || !this.dialect.isRetryable(error)) throw error;
      }
    }
  }

  /**
   * A write transaction begun with the dialect's one-round-trip `begin` (limits included) on one
   * pooled connection, committed, or rolled back when `fn` or the commit fails — as Kysely's
   * `transaction()` does, one round trip shorter.
   */
  #limitedTransaction<T>(begin: string, fn: (trx: TransactionDb) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      try {
        // Inside the try: when a statement after `begin` fails, the rollback ends the aborted
        // transaction before the connection returns to the pool.
        await conn.executeQuery(CompiledQuery.raw(begin));
        const result = await fn(conn);
        await conn.executeQuery(COMMIT);
        return result;
      } catch (error) {
        // The original error decides; a rollback on a dead connection fails too and says less.
        await conn.executeQuery(ROLLBACK).catch(() => undefined);
        throw error;
      }
    });
  }

  /** Registers cleanup that `close()` runs before ending the pool (listeners); returns its removal. */
  onClose(cleanup: () => Promise<void>): () => void {
    this.#onClose.add(cleanup);
    return () => this.#onClose.delete(cleanup);
  }

  /** Runs the registered cleanups and ends the pool this store created. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const cleanups = [...this.#onClose];
      this.#onClose.clear();
      await Promise.all(cleanups.map((cleanup) => cleanup().catch(() => undefined)));
      if (this.#ownsPool) await this.db.destroy().catch(() => undefined);
    })();
    return this.#closing;
  }

  async #runMigrations(): Promise<void> {
    const t = this.tables;
    const migrations = registryMigrations(this.dialect, t);
    if (await this.#applied(Object.keys(migrations))) return;
    const migrator = new Migrator({
      db: this.db,
      provider: new InCodeMigrationProvider(migrations),
      migrationTableName: t.plain.migration,
      migrationLockTableName: t.plain.migrationLock,
      ...(t.schema === undefined ? {} : { migrationTableSchema: t.schema }),
    });
    const { error } = await migrator.migrateToLatest();
    if (error !== undefined) throw toStoreError(this.dialect, 'migrate', error, this.target);
  }

  /**
   * Whether every migration is recorded already: one read of the migration table, so a store
   * opened on an up-to-date schema skips the Migrator, whose table checks introspect every table
   * of the database (slow with many schemas, and failing when another schema is dropped
   * meanwhile). Any failure (no table yet) or any difference means "run the Migrator".
   */
  async #applied(names: string[]): Promise<boolean> {
    const { plain, schema } = this.tables;
    const table = schema === undefined ? plain.migration : `${schema}.${plain.migration}`;
    try {
      const { rows } = await sql<{ name: string }>`select name from ${sql.table(table)}`.execute(this.db);
      // Exactly the known ones: a migration this version does not know goes to the Migrator, which refuses it.
      const done = new Set(rows.map((r) => r.name));
      return done.size === names.length && names.every((name) => done.has(name));
    } catch {
      return false;
    }
  }
}
