import {
  keyOf,
  type LoggedBatchResult,
  type RegistryChange,
  type RegistryStore,
  type ServiceInfo,
  type ServiceStatus,
  type StoreCallOptions,
  type StoreChangeFeed,
  type StoreMembership,
  type StoreMutation,
  type StoreMutationResult,
  type StoreOperation,
  type StoreStats,
} from '@governance/core';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { ChangeSet } from './change-set';
import type { RegistryDatabase, TableNames } from './registry-database';
import { RegistryWrites } from './registry-writes';
import { rowToService, type ServiceRow } from './row-mapping';
import { SqlChangeFeed, type ChangeListener } from './sql-change-feed';
import { SqlMembership } from './sql-membership';
import type { TransactionDb } from './sql-dialect';
import { SqlRunner, type SqlRunnerSetup } from './sql-runner';

/** Everything `SqlRegistryStore` needs from a concrete store's constructor. */
export interface SqlStoreSetup extends SqlRunnerSetup {
  /**
   * Opens a dedicated connection that calls `onHint` after every logged commit (PostgreSQL
   * LISTEN), or `undefined` when the database has no notifications: the change feed then has no
   * `watch` and managers poll.
   */
  listen?: ChangeListener;
}

/**
 * The `RegistryStore` contract on Kysely, shared by the PostgreSQL and MySQL stores, with the
 * coordination capabilities of cluster mode (`changeFeed`, `membership`; see docs/cluster.md).
 *
 * - The schema is created by versioned migrations on first use (or by `migrate()`), once per
 *   instance; concurrent starts are serialized by the Migrator's database lock.
 * - Every write of a pod record (`saveService`, `deleteService`, a status transition of
 *   `updateHealthStatus`, `applyBatch`, `clear`) runs in one transaction that also appends one
 *   change-log entry per changed pod; a write that changes nothing appends nothing. A transaction
 *   that hits a deadlock or serialization failure is run again (up to 3 times).
 * - A health result that does not change the status is one UPDATE outside any transaction.
 * - Every driver failure is wrapped in `StoreError` with the driver's error as `cause`.
 */
export class SqlRegistryStore implements RegistryStore {
  readonly name: string;
  readonly changeFeed: StoreChangeFeed;
  readonly membership: StoreMembership;
  readonly #runner: SqlRunner;
  readonly #writes: RegistryWrites;
  readonly #t: TableNames;
  readonly #hot: HotQueries;

  constructor(setup: SqlStoreSetup) {
    this.#runner = new SqlRunner(setup);
    this.name = setup.dialect.storeName;
    this.#t = setup.tables;
    this.#hot = compileHotQueries(setup.db, setup.tables);
    this.#writes = new RegistryWrites(setup.db, setup.dialect, setup.tables);
    this.changeFeed = new SqlChangeFeed(this.#runner, (mutations, options) => this.#applyLogged('applyLoggedBatch', mutations, options), setup.listen);
    this.membership = new SqlMembership(this.#runner);
  }

  /**
   * Creates or upgrades the schema now instead of on first use. Runs at most once per store
   * (a failed attempt is retried by the next call). Safe while other processes do the same.
   */
  async migrate(options?: StoreCallOptions): Promise<void> {
    await this.#runner.migrate(options);
  }

  async saveService(service: ServiceInfo, options?: StoreCallOptions): Promise<void> {
    await this.#logged('saveService', options, (trx, changes) => this.#writes.save(trx, [[keyOf(service), service]], changes));
  }

  async getService(key: string, options?: StoreCallOptions): Promise<ServiceInfo | undefined> {
    return this.#runner.run('getService', options, async (db) => {
      const { rows } = await db.executeQuery<ServiceRow>(CompiledQuery.raw(this.#hot.byKey, [key]));
      return rows[0] === undefined ? undefined : rowToService(rows[0]);
    });
  }

  async getServicesByName(serviceName: string, options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#runner.run('getServicesByName', options, async (db) => {
      const { rows } = await db.executeQuery<ServiceRow>(CompiledQuery.raw(this.#hot.byName, [serviceName]));
      return rows.map(rowToService);
    });
  }

  async getAllServices(options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#runner.run('getAllServices', options, async (db) => {
      const rows = await db.selectFrom(this.#t.services).selectAll().execute();
      return rows.map(rowToService);
    });
  }

  async deleteService(key: string, options?: StoreCallOptions): Promise<boolean> {
    const { results } = await this.#logged('deleteService', options, async (trx, changes) =>
      (await this.#writes.delete(trx, [key], changes)).has(key),
    );
    return results;
  }

  /**
   * A result that keeps the status is one UPDATE of the time, outside any transaction and not
   * logged; a status transition is a logged transaction.
   */
  async updateHealthStatus(key: string, status: ServiceStatus, at: Date, options?: StoreCallOptions): Promise<boolean> {
    const unchanged = await this.#runner.run('updateHealthStatus', options, (db) => this.#writes.touchIfUnchanged(db, key, status, at));
    if (unchanged) return true;
    const { results } = await this.#logged('updateHealthStatus', options, async (trx, changes) =>
      (await this.#writes.health(trx, new Map([[key, { status, at }]]), changes)).has(key),
    );
    return results;
  }

  async addSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void> {
    await this.#runner.run('addSubscription', options, (db) =>
      this.#runner.dialect.insertSubscriptions(db, this.#t, [{ subscriber_key: subscriberKey, service_group: serviceGroup }]),
    );
  }

  async removeSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void> {
    await this.#runner.run('removeSubscription', options, (db) =>
      db
        .deleteFrom(this.#t.subscriptions)
        .where('subscriber_key', '=', subscriberKey)
        .where('service_group', '=', serviceGroup)
        .execute(),
    );
  }

  async removeAllSubscriptions(subscriberKey: string, options?: StoreCallOptions): Promise<void> {
    await this.#runner.run('removeAllSubscriptions', options, (db) =>
      db.deleteFrom(this.#t.subscriptions).where('subscriber_key', '=', subscriberKey).execute(),
    );
  }

  async getSubscribers(serviceGroup: string, options?: StoreCallOptions): Promise<string[]> {
    return this.#runner.run('getSubscribers', options, async (db) => {
      const rows = await db
        .selectFrom(this.#t.subscriptions)
        .select('subscriber_key')
        .where('service_group', '=', serviceGroup)
        .execute();
      return rows.map((r) => r.subscriber_key);
    });
  }

  async getSubscriberServices(serviceGroup: string, options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#runner.run('getSubscriberServices', options, async (db) => {
      const keys = db
        .selectFrom(this.#t.subscriptions)
        .select('subscriber_key')
        .where('service_group', '=', serviceGroup);
      const rows = await db.selectFrom(this.#t.services).selectAll().where('service_key', 'in', keys).execute();
      return rows.map(rowToService);
    });
  }

  /**
   * Applies the whole batch in one logged transaction: all or nothing, with the meaning of
   * applying it in order. Mutations are grouped into single-kind stages (changes to different pods
   * commute), and each stage is written with a few multi-row statements, so a batch of any size
   * costs a handful of round trips and one commit. Same as `changeFeed.applyLoggedBatch`.
   */
  async applyBatch(mutations: readonly StoreMutation[], options?: StoreCallOptions): Promise<StoreMutationResult[]> {
    return (await this.#applyLogged('applyBatch', mutations, options)).results;
  }

  async clear(options?: StoreCallOptions): Promise<void> {
    await this.#logged('clear', options, (trx, changes) => this.#writes.clear(trx, changes));
  }

  /** `applyBatch` that also reports its log position; errors name `operation`. */
  async #applyLogged(operation: StoreOperation, mutations: readonly StoreMutation[], options?: StoreCallOptions): Promise<LoggedBatchResult> {
    if (mutations.length === 0) {
      this.#runner.assertOpen(operation, options);
      return { results: [], lastSeq: undefined, changes: [] };
    }
    return this.#logged(operation, options, (trx, changes) => this.#writes.applyBatch(trx, mutations, changes));
  }

  async stats(options?: StoreCallOptions): Promise<StoreStats> {
    return this.#runner.run('stats', options, async (db) => {
      const count = (table: 'services' | 'subscriptions') =>
        db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      const [services, subscriptions] = await Promise.all([count(this.#t.services), count(this.#t.subscriptions)]);
      return { services: Number(services.n), subscriptions: Number(subscriptions.n) };
    });
  }

  /** Sends `select 1` over a pooled connection (does not create the schema). */
  async ping(options?: StoreCallOptions): Promise<void> {
    this.#runner.assertOpen('ping', options);
    try {
      await sql`select 1`.execute(this.#runner.db);
    } catch (error) {
      throw this.#runner.wrap('ping', error);
    }
  }

  /** Closes the change listeners and ends the pool this store created (never a pool the host handed in). Idempotent. */
  async close(): Promise<void> {
    await this.#runner.close();
  }

  /** Runs `write` and appends the pods it changed to the log, in one transaction. */
  async #logged<T>(
    operation: StoreOperation,
    options: StoreCallOptions | undefined,
    write: (trx: TransactionDb, changes: ChangeSet) => Promise<T>,
  ): Promise<{ results: T; lastSeq: number | undefined; changes: RegistryChange[] }> {
    return this.#runner.run(operation, options, () =>
      this.#runner.transaction(async (trx) => {
        const changes = new ChangeSet();
        const results = await write(trx, changes);
        const lastSeq = await this.#writes.log(trx, changes);
        return { results, lastSeq, changes: lastSeq === undefined ? [] : changes.numbered(lastSeq) };
      }),
    );
  }
}

/** SQL of the hottest single-row reads, compiled once per store instead of on every call. */
interface HotQueries {
  byKey: string;
  byName: string;
}

function compileHotQueries(db: Kysely<RegistryDatabase>, t: TableNames): HotQueries {
  return {
    byKey: db.selectFrom(t.services).selectAll().where('service_key', '=', '?key').compile().sql,
    byName: db.selectFrom(t.services).selectAll().where('service_name', '=', '?name').compile().sql,
  };
}
