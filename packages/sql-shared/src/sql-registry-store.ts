import {
  StoreError,
  keyOf,
  type RegistryStore,
  type ServiceInfo,
  type ServiceStatus,
  type StoreCallOptions,
  type StoreMutation,
  type StoreMutationResult,
  type StoreOperation,
  type StoreStats,
} from '@governance/core';
import { CompiledQuery, type Kysely, Migrator, sql, type Transaction } from 'kysely';
import { planStages } from './batch-stages';
import { toStoreError } from './error-classifier';
import type { RegistryDatabase, TableNames } from './registry-database';
import { InCodeMigrationProvider, registryMigrations } from './registry-migrations';
import { rowToService, type ServiceRow, serviceToRow, uniqueGroups, validDate } from './row-mapping';
import type { RegistryDb, SqlDialectAdapter } from './sql-dialect';

/** Rows per multi-row statement, far below every server's parameter limit. */
const CHUNK = 500;
/** Attempts of a transaction that hit a deadlock or serialization failure. */
const TRANSACTION_ATTEMPTS = 3;

/** Everything `SqlRegistryStore` needs from a concrete store's constructor. */
export interface SqlStoreSetup {
  dialect: SqlDialectAdapter;
  db: Kysely<RegistryDatabase>;
  /** Whether `close()` may end the pool (false for a pool the host handed in). */
  ownsPool: boolean;
  tables: TableNames;
  /** `host:port/database` (or a description of the host's pool), for error messages. */
  target: string;
  /** Class name for messages (`PostgresStore`). */
  className: string;
}

type Pair = { subscriber_key: string; service_group: string };

/**
 * The `RegistryStore` contract on Kysely, shared by the PostgreSQL and MySQL stores.
 *
 * - The schema is created by versioned migrations on first use (or by `migrate()`), once per
 *   instance; concurrent starts are serialized by the Migrator's database lock.
 * - `saveService`, `deleteService` and `applyBatch` each run in one transaction; a transaction
 *   that hits a deadlock or serialization failure is run again (up to 3 times).
 * - Every driver failure is wrapped in `StoreError` with the driver's error as `cause`.
 */
export class SqlRegistryStore implements RegistryStore {
  readonly name: string;
  readonly #dialect: SqlDialectAdapter;
  readonly #db: Kysely<RegistryDatabase>;
  readonly #ownsPool: boolean;
  readonly #t: TableNames;
  readonly #target: string;
  readonly #className: string;
  readonly #hot: HotQueries;
  #migrated: Promise<void> | undefined;
  #ready = false;
  #closing: Promise<void> | undefined;

  constructor(setup: SqlStoreSetup) {
    this.#dialect = setup.dialect;
    this.name = setup.dialect.storeName;
    this.#db = setup.db;
    this.#ownsPool = setup.ownsPool;
    this.#t = setup.tables;
    this.#target = setup.target;
    this.#className = setup.className;
    this.#hot = compileHotQueries(setup.db, setup.tables);
  }

  /**
   * Creates or upgrades the schema now instead of on first use. Runs at most once per store
   * (a failed attempt is retried by the next call). Safe while other processes do the same.
   */
  async migrate(options?: StoreCallOptions): Promise<void> {
    this.#assertOpen('migrate', options);
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

  async saveService(service: ServiceInfo, options?: StoreCallOptions): Promise<void> {
    await this.#run('saveService', options, () =>
      this.#transaction((trx) => this.#saveMany(trx, [[keyOf(service), service]])),
    );
  }

  async getService(key: string, options?: StoreCallOptions): Promise<ServiceInfo | undefined> {
    return this.#run('getService', options, async (db) => {
      const { rows } = await db.executeQuery<ServiceRow>(CompiledQuery.raw(this.#hot.byKey, [key]));
      return rows[0] === undefined ? undefined : rowToService(rows[0]);
    });
  }

  async getServicesByName(serviceName: string, options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#run('getServicesByName', options, async (db) => {
      const { rows } = await db.executeQuery<ServiceRow>(CompiledQuery.raw(this.#hot.byName, [serviceName]));
      return rows.map(rowToService);
    });
  }

  async getAllServices(options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#run('getAllServices', options, async (db) => {
      const rows = await db.selectFrom(this.#t.services).selectAll().execute();
      return rows.map(rowToService);
    });
  }

  async deleteService(key: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#run('deleteService', options, () => this.#transaction((trx) => this.#delete(trx, key)));
  }

  async updateHealthStatus(key: string, status: ServiceStatus, at: Date, options?: StoreCallOptions): Promise<boolean> {
    return this.#run('updateHealthStatus', options, async (db) => {
      const result = await db.executeQuery(CompiledQuery.raw(this.#hot.health.sql, this.#hot.health.order(key, status, at)));
      return (result.numAffectedRows ?? 0n) > 0n;
    });
  }

  async addSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void> {
    await this.#run('addSubscription', options, (db) =>
      this.#dialect.insertSubscriptions(db, this.#t, [{ subscriber_key: subscriberKey, service_group: serviceGroup }]),
    );
  }

  async removeSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void> {
    await this.#run('removeSubscription', options, (db) =>
      db
        .deleteFrom(this.#t.subscriptions)
        .where('subscriber_key', '=', subscriberKey)
        .where('service_group', '=', serviceGroup)
        .execute(),
    );
  }

  async removeAllSubscriptions(subscriberKey: string, options?: StoreCallOptions): Promise<void> {
    await this.#run('removeAllSubscriptions', options, (db) =>
      db.deleteFrom(this.#t.subscriptions).where('subscriber_key', '=', subscriberKey).execute(),
    );
  }

  async getSubscribers(serviceGroup: string, options?: StoreCallOptions): Promise<string[]> {
    return this.#run('getSubscribers', options, async (db) => {
      const rows = await db
        .selectFrom(this.#t.subscriptions)
        .select('subscriber_key')
        .where('service_group', '=', serviceGroup)
        .execute();
      return rows.map((r) => r.subscriber_key);
    });
  }

  async getSubscriberServices(serviceGroup: string, options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#run('getSubscriberServices', options, async (db) => {
      const keys = db
        .selectFrom(this.#t.subscriptions)
        .select('subscriber_key')
        .where('service_group', '=', serviceGroup);
      const rows = await db.selectFrom(this.#t.services).selectAll().where('service_key', 'in', keys).execute();
      return rows.map(rowToService);
    });
  }

  /**
   * Applies the whole batch in one transaction: all or nothing, with the meaning of applying it
   * in order. Mutations are grouped into single-kind stages (changes to different pods commute),
   * and each stage is written with a few multi-row statements, so a batch of any size costs a
   * handful of round trips and one commit.
   */
  async applyBatch(mutations: readonly StoreMutation[], options?: StoreCallOptions): Promise<StoreMutationResult[]> {
    if (mutations.length === 0) {
      this.#assertOpen('applyBatch', options);
      return [];
    }
    return this.#run('applyBatch', options, () =>
      this.#transaction(async (trx) => {
        const results = new Array<StoreMutationResult>(mutations.length);
        for (const stage of planStages(mutations)) {
          if (stage.type === 'save') {
            const latest = new Map<string, ServiceInfo>();
            for (const item of stage.items) {
              latest.set(item.key, (item.mutation as { service: ServiceInfo }).service);
              results[item.index] = true;
            }
            await this.#saveMany(trx, [...latest]);
          } else if (stage.type === 'delete') {
            const found = await this.#deleteMany(trx, stage.items.map((item) => item.key));
            for (const item of stage.items) results[item.index] = found.has(item.key);
          } else {
            const latest = new Map<string, { status: ServiceStatus; at: Date }>();
            for (const item of stage.items) {
              const m = item.mutation as { status: ServiceStatus; at: Date };
              latest.set(item.key, { status: m.status, at: m.at });
            }
            const found = await this.#healthMany(trx, latest);
            for (const item of stage.items) results[item.index] = found.has(item.key);
          }
        }
        return results;
      }),
    );
  }

  async clear(options?: StoreCallOptions): Promise<void> {
    await this.#run('clear', options, () =>
      this.#transaction(async (trx) => {
        await trx.deleteFrom(this.#t.subscriptions).execute();
        await trx.deleteFrom(this.#t.services).execute();
      }),
    );
  }

  async stats(options?: StoreCallOptions): Promise<StoreStats> {
    return this.#run('stats', options, async (db) => {
      const count = (table: 'services' | 'subscriptions') =>
        db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      const [services, subscriptions] = await Promise.all([count(this.#t.services), count(this.#t.subscriptions)]);
      return { services: Number(services.n), subscriptions: Number(subscriptions.n) };
    });
  }

  /** Sends `select 1` over a pooled connection (does not create the schema). */
  async ping(options?: StoreCallOptions): Promise<void> {
    this.#assertOpen('ping', options);
    try {
      await sql`select 1`.execute(this.#db);
    } catch (error) {
      throw toStoreError(this.#dialect, 'ping', error, this.#target);
    }
  }

  /** Ends the pool this store created (never a pool the host handed in). Idempotent. */
  async close(): Promise<void> {
    this.#closing ??= this.#ownsPool ? this.#db.destroy().catch(() => undefined) : Promise.resolve();
    await this.#closing;
  }

  #assertOpen(operation: StoreOperation, options: StoreCallOptions | undefined): void {
    if (this.#closing !== undefined) {
      throw new StoreError(this.name, operation, `the store is closed; create a new ${this.#className}`);
    }
    options?.signal?.throwIfAborted();
  }

  async #run<T>(operation: StoreOperation, options: StoreCallOptions | undefined, fn: (db: Kysely<RegistryDatabase>) => Promise<T>): Promise<T> {
    this.#assertOpen(operation, options);
    if (!this.#ready) await this.migrate(options);
    try {
      return await fn(this.#db);
    } catch (error) {
      throw toStoreError(this.#dialect, operation, error, this.#target);
    }
  }

  async #transaction<T>(fn: (trx: Transaction<RegistryDatabase>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(fn);
      } catch (error) {
        if (attempt >= TRANSACTION_ATTEMPTS || !this.#dialect.isRetryable(error)) throw error;
      }
    }
  }

  async #saveMany(db: RegistryDb, entries: Array<[string, ServiceInfo]>): Promise<void> {
    for (let at = 0; at < entries.length; at += CHUNK) {
      const chunk = entries.slice(at, at + CHUNK);
      await this.#dialect.upsertServices(db, this.#t, chunk.map(([key, service]) => serviceToRow(key, service)));
      const keys = chunk.map(([key]) => key);
      await db.deleteFrom(this.#t.subscriptions).where('subscriber_key', 'in', keys).execute();
      const pairs: Pair[] = [];
      for (const [key, service] of chunk) {
        for (const group of uniqueGroups(service.subscriptions)) pairs.push({ subscriber_key: key, service_group: group });
      }
      for (let p = 0; p < pairs.length; p += CHUNK) {
        await this.#dialect.insertSubscriptions(db, this.#t, pairs.slice(p, p + CHUNK));
      }
    }
  }

  async #delete(db: RegistryDb, key: string): Promise<boolean> {
    await db.deleteFrom(this.#t.subscriptions).where('subscriber_key', '=', key).execute();
    const result = await db.deleteFrom(this.#t.services).where('service_key', '=', key).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Keys among `keys` that exist, locking their rows for the rest of the transaction. */
  async #lockExisting(db: RegistryDb, keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let at = 0; at < keys.length; at += CHUNK) {
      const rows = await db
        .selectFrom(this.#t.services)
        .select('service_key')
        .where('service_key', 'in', keys.slice(at, at + CHUNK))
        .forUpdate()
        .execute();
      for (const row of rows) found.add(row.service_key);
    }
    return found;
  }

  async #deleteMany(db: RegistryDb, keys: string[]): Promise<Set<string>> {
    const returning = this.#dialect.supportsReturning;
    const found = returning ? new Set<string>() : await this.#lockExisting(db, keys);
    for (let at = 0; at < keys.length; at += CHUNK) {
      const chunk = keys.slice(at, at + CHUNK);
      await db.deleteFrom(this.#t.subscriptions).where('subscriber_key', 'in', chunk).execute();
      const query = db.deleteFrom(this.#t.services).where('service_key', 'in', chunk);
      if (returning) {
        for (const row of await query.returning('service_key').execute()) found.add(row.service_key);
      } else if (chunk.some((key) => found.has(key))) {
        await query.execute();
      }
    }
    return found;
  }

  /** One UPDATE per chunk, choosing each row's values with CASE on its key. */
  async #healthMany(db: RegistryDb, latest: Map<string, { status: ServiceStatus; at: Date }>): Promise<Set<string>> {
    const returning = this.#dialect.supportsReturning;
    const found = returning ? new Set<string>() : await this.#lockExisting(db, [...latest.keys()]);
    const keys = returning ? [...latest.keys()] : [...found];
    const stamp = sql.raw(this.#dialect.timestampType);
    for (let at = 0; at < keys.length; at += CHUNK) {
      const chunk = keys.slice(at, at + CHUNK);
      const statuses = sql.join(chunk.map((k) => sql`when ${k} then ${latest.get(k)!.status}`), sql` `);
      const times = sql.join(
        chunk.map((k) => sql`when ${k} then cast(${validDate(latest.get(k)!.at, 'at')} as ${stamp})`),
        sql` `,
      );
      const query = db
        .updateTable(this.#t.services)
        .set({
          status: sql<string>`case ${sql.ref('service_key')} ${statuses} end`,
          last_health_check: sql<Date>`case ${sql.ref('service_key')} ${times} end`,
        })
        .where('service_key', 'in', chunk);
      if (returning) {
        for (const row of await query.returning('service_key').execute()) found.add(row.service_key);
      } else {
        await query.execute();
      }
    }
    return found;
  }

  async #runMigrations(): Promise<void> {
    const migrator = new Migrator({
      db: this.#db,
      provider: new InCodeMigrationProvider(registryMigrations(this.#dialect, this.#t)),
      migrationTableName: this.#t.plain.migration,
      migrationLockTableName: this.#t.plain.migrationLock,
      ...(this.#t.schema === undefined ? {} : { migrationTableSchema: this.#t.schema }),
    });
    const { error } = await migrator.migrateToLatest();
    if (error !== undefined) throw toStoreError(this.#dialect, 'migrate', error, this.#target);
  }
}

/** SQL of the hottest single-row calls, compiled once per store instead of on every call. */
interface HotQueries {
  byKey: string;
  byName: string;
  health: { sql: string; order(key: string, status: ServiceStatus, at: Date): unknown[] };
}

function compileHotQueries(db: Kysely<RegistryDatabase>, t: TableNames): HotQueries {
  const byKey = db.selectFrom(t.services).selectAll().where('service_key', '=', '?key').compile().sql;
  const byName = db.selectFrom(t.services).selectAll().where('service_name', '=', '?name').compile().sql;
  const sentinelAt = new Date(0);
  const health = db
    .updateTable(t.services)
    .set({ status: '?status', last_health_check: sentinelAt })
    .where('service_key', '=', '?key')
    .compile();
  const slots = health.parameters.map((p) => (p === '?key' ? 0 : p === '?status' ? 1 : 2));
  return {
    byKey,
    byName,
    health: {
      sql: health.sql,
      order: (key, status, at) => {
        const values = [key, status, validDate(at, 'at')];
        return slots.map((slot) => values[slot]);
      },
    },
  };
}
