import {
  StoreError,
  type RegistryStore,
  type ServiceInfo,
  type ServiceStatus,
  type StoreCallOptions,
  type StoreMembership,
  type StoreMutation,
  type StoreMutationResult,
  type StoreOperation,
  type StoreStats,
} from '@governance/core';
import type { AnyBulkWriteOperation, ClientSession, Collection, IndexDescription, MongoClient } from 'mongodb';
import { fromServiceDocument, toServiceDocument, type ServiceDocument, type SubscriptionDocument } from './mongo-documents';
import { toStoreError, type MongoErrorContext } from './mongo-errors';
import { MONGO_COLLECTIONS, MONGO_INDEXES } from './mongo-indexes';
import { MONGO_MEMBERS_COLLECTION, MongoMembership, type MemberDocument } from './mongo-membership';
import { subscriberServicesPipeline, supportsTransactions } from './mongo-queries';
import { resolveMongoConfig, type MongoStoreOptions, type MongoTransactionMode } from './mongo-store-config';
import { untilAborted } from './until-aborted';

const NAME = 'store-mongodb';

/**
 * A `RegistryStore` on MongoDB, through the official `mongodb` driver.
 *
 * - Collections `services` (`_id` = service key, indexes on `service_name` and `status`) and
 *   `subscriptions` (index on `service_group`, unique on `subscriber_key + service_group`),
 *   optionally prefixed; the indexes are created idempotently on first use.
 * - **Writes of one pod.** On a replica set or sharded cluster `saveService`, `deleteService` and
 *   `applyBatch` run in one multi-document transaction. On a standalone server they run as
 *   ordered single writes that never leave a subscription pointing at a pod that was not saved:
 *   `saveService` writes the pod document first and then reconciles its subscriptions;
 *   `deleteService` removes the subscriptions first and then the pod. A crash in between can
 *   leave a saved pod whose subscriptions are not yet (or no longer) indexed; the next save or
 *   delete of that pod repairs it. `applyBatch` is then applied in order but not atomically.
 * - Writes to one pod from this store are applied one after another in call order, so two
 *   concurrent saves of a pod never mix their pod and subscription writes. Several processes
 *   writing the same pod at once are isolated only by transactions (replica set / sharded).
 * - `getSubscriberServices` is one `$lookup` aggregation (one round trip).
 * - Reads honour `options.signal`; writes check it before they start.
 * - `close()` closes the client only when the store created it.
 * - **Coordination.** `membership` keeps leases in `governance_members`, timed by the server's
 *   clock (`$$NOW`, MongoDB 4.2+). There is no change feed, so a manager refuses to start while
 *   another one holds a live lease: one manager per MongoDB registry. Not verified against a
 *   server (none in this project's test environment).
 */
export class MongoStore implements RegistryStore {
  readonly name = NAME;
  /** The driver client in use (the host's, or the one the store created from `uri`). */
  readonly client: MongoClient;
  /** The database holding the collections. */
  readonly databaseName: string;
  /** Names of the collections, after `collectionPrefix`. */
  readonly collectionNames: { readonly services: string; readonly subscriptions: string; readonly members: string };
  /** Leases on the server's clock, so a second manager on one registry is refused (see `MongoMembership`). */
  readonly membership: StoreMembership;

  readonly #ownsClient: boolean;
  readonly #mode: MongoTransactionMode;
  readonly #services: Collection<ServiceDocument>;
  readonly #subscriptions: Collection<SubscriptionDocument>;
  readonly #context: MongoErrorContext;
  /** Per-key chains that keep this process's writes to one pod in call order. */
  readonly #chains = new Map<string, Promise<void>>();
  #connecting: Promise<unknown> | undefined;
  #preparing: Promise<boolean> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param options `{ uri, database?, connectTimeoutMs?, serverSelectionTimeoutMs?, maxPoolSize?,
   *   minPoolSize?, collectionPrefix?, transactions?, clientOptions? }` or `{ client, database,
   *   collectionPrefix?, transactions? }`. Nothing connects until the first call.
   * @throws ValidationError naming each bad option.
   */
  constructor(options: MongoStoreOptions) {
    const config = resolveMongoConfig(options);
    this.client = config.client;
    this.databaseName = config.database;
    this.#ownsClient = config.ownsClient;
    this.#mode = config.transactions;
    this.collectionNames = Object.freeze({
      services: config.collectionPrefix + MONGO_COLLECTIONS.services,
      subscriptions: config.collectionPrefix + MONGO_COLLECTIONS.subscriptions,
      members: config.collectionPrefix + MONGO_MEMBERS_COLLECTION,
    });
    const db = this.client.db(config.database);
    this.#services = db.collection<ServiceDocument>(this.collectionNames.services);
    this.#subscriptions = db.collection<SubscriptionDocument>(this.collectionNames.subscriptions);
    this.membership = new MongoMembership(db.collection<MemberDocument>(this.collectionNames.members), (operation, options, fn) =>
      this.#run(operation, options, fn),
    );
    const hosts = this.client.options.srvHost ?? this.client.options.hosts.map((h) => h.toString()).join(',');
    this.#context = { where: hosts, database: config.database, serverSelectionTimeoutMs: this.client.options.serverSelectionTimeoutMS };
  }

  async saveService(service: ServiceInfo, options?: StoreCallOptions): Promise<void> {
    const doc = this.#document(service, 'saveService');
    await this.#serial(doc._id, () => this.#write('saveService', options, (session) => this.#save(doc, session)));
  }

  async getService(key: string, options?: StoreCallOptions): Promise<ServiceInfo | undefined> {
    return this.#run('getService', options, async () => {
      const doc = await this.#services.findOne({ _id: key }, { signal: options?.signal });
      return doc === null ? undefined : fromServiceDocument(doc, 'getService');
    });
  }

  async getServicesByName(serviceName: string, options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#run('getServicesByName', options, async () => {
      const docs = await this.#services.find({ service_name: serviceName }, { signal: options?.signal }).toArray();
      return docs.map((d) => fromServiceDocument(d, 'getServicesByName'));
    });
  }

  async getAllServices(options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#run('getAllServices', options, async () => {
      const docs = await this.#services.find({}, { signal: options?.signal }).toArray();
      return docs.map((d) => fromServiceDocument(d, 'getAllServices'));
    });
  }

  async deleteService(key: string, options?: StoreCallOptions): Promise<boolean> {
    this.#checkOpen('deleteService');
    return this.#serial(key, () => this.#write('deleteService', options, (session) => this.#delete(key, session)));
  }

  async updateHealthStatus(key: string, status: ServiceStatus, at: Date, options?: StoreCallOptions): Promise<boolean> {
    return this.#run('updateHealthStatus', options, () => this.#health(key, status, at));
  }

  async addSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void> {
    await this.#run('addSubscription', options, async () => {
      try {
        await this.#subscriptions.updateOne(
          { subscriber_key: subscriberKey, service_group: serviceGroup },
          { $set: { subscriber_key: subscriberKey, service_group: serviceGroup } },
          { upsert: true },
        );
      } catch (error) {
        // Two concurrent upserts of the same pair: the other one inserted it, which is the goal.
        if (!(typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000)) throw error;
      }
    });
  }

  async removeSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void> {
    await this.#run('removeSubscription', options, () =>
      this.#subscriptions.deleteOne({ subscriber_key: subscriberKey, service_group: serviceGroup }),
    );
  }

  async removeAllSubscriptions(subscriberKey: string, options?: StoreCallOptions): Promise<void> {
    await this.#run('removeAllSubscriptions', options, () => this.#subscriptions.deleteMany({ subscriber_key: subscriberKey }));
  }

  async getSubscribers(serviceGroup: string, options?: StoreCallOptions): Promise<string[]> {
    return this.#run('getSubscribers', options, async () => {
      const docs = await this.#subscriptions
        .find({ service_group: serviceGroup }, { projection: { _id: 0, subscriber_key: 1 }, signal: options?.signal })
        .toArray();
      return docs.map((d) => d.subscriber_key);
    });
  }

  async getSubscriberServices(serviceGroup: string, options?: StoreCallOptions): Promise<ServiceInfo[]> {
    return this.#run('getSubscriberServices', options, async () => {
      const docs = await this.#subscriptions
        .aggregate(subscriberServicesPipeline(serviceGroup, this.collectionNames.services), { signal: options?.signal })
        .toArray();
      return docs.map((d) => fromServiceDocument(d, 'getSubscriberServices'));
    });
  }

  /**
   * Applies the mutations in order. In a transaction (all or nothing) when the deployment
   * supports one; on a standalone server one after another, not atomically.
   */
  async applyBatch(mutations: readonly StoreMutation[], options?: StoreCallOptions): Promise<StoreMutationResult[]> {
    const docs = mutations.map((m) => (m.type === 'save' ? this.#document(m.service, 'applyBatch') : undefined));
    this.#checkOpen('applyBatch');
    if (mutations.length === 0) return [];
    return this.#write('applyBatch', options, async (session) => {
      const results: StoreMutationResult[] = [];
      const serial = <T>(key: string, fn: () => Promise<T>) => (session === undefined ? this.#serial(key, fn) : fn());
      for (const [i, m] of mutations.entries()) {
        if (m.type === 'save') {
          const doc = docs[i]!;
          await serial(doc._id, () => this.#save(doc, session));
          results.push(true);
        } else if (m.type === 'delete') {
          results.push(await serial(m.key, () => this.#delete(m.key, session)));
        } else {
          results.push(await this.#health(m.key, m.status, m.at, session));
        }
      }
      return results;
    });
  }

  async clear(options?: StoreCallOptions): Promise<void> {
    await this.#run('clear', options, async () => {
      await this.#subscriptions.deleteMany({});
      await this.#services.deleteMany({});
    });
  }

  async stats(options?: StoreCallOptions): Promise<StoreStats> {
    return this.#run('stats', options, async () => {
      const [services, subscriptions] = await Promise.all([
        this.#services.countDocuments({}, { signal: options?.signal }),
        this.#subscriptions.countDocuments({}, { signal: options?.signal }),
      ]);
      return { services, subscriptions };
    });
  }

  /** Runs the `ping` command. Does not create the indexes. */
  async ping(options?: StoreCallOptions): Promise<void> {
    this.#checkOpen('ping');
    options?.signal?.throwIfAborted();
    try {
      await untilAborted(this.#connect(), options?.signal);
      await this.client.db(this.databaseName).command({ ping: 1 }, { signal: options?.signal });
    } catch (error) {
      throw this.#wrap('ping', error, options);
    }
  }

  /** Idempotent. Closes the client only if the store created it from `uri`. */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#ownsClient) return;
      try {
        await this.client.close();
      } catch (error) {
        throw toStoreError('close', error, this.#context);
      }
    })();
    return this.#closing;
  }

  #checkOpen(operation: StoreOperation): void {
    if (this.#closing !== undefined) {
      throw new StoreError(NAME, operation, 'the store is closed; create a new MongoStore');
    }
  }

  #document(service: ServiceInfo, operation: StoreOperation): ServiceDocument {
    this.#checkOpen(operation);
    return toServiceDocument(service);
  }

  /**
   * Runs `fn` after every earlier write to the same pod from this store has finished, so two
   * saves of one pod cannot interleave their pod and subscription writes.
   */
  async #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous === undefined ? done : previous.then(() => done);
    this.#chains.set(key, tail);
    if (previous !== undefined) await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    }
  }

  /** The driver connects lazily, but after a failed first connect only `connect()` retries. */
  #connect(): Promise<unknown> {
    this.#connecting ??= this.client.connect().catch((error: unknown) => {
      this.#connecting = undefined;
      throw error;
    });
    return this.#connecting;
  }

  /** Creates the indexes once and learns whether transactions are available. */
  #prepare(): Promise<boolean> {
    this.#preparing ??= (async () => {
      const [transactions] = await Promise.all([
        this.#supportsTransactions(),
        this.#services.createIndexes(structuredClone(MONGO_INDEXES.services) as IndexDescription[]),
        this.#subscriptions.createIndexes(structuredClone(MONGO_INDEXES.subscriptions) as IndexDescription[]),
      ]);
      return transactions;
    })().catch((error: unknown) => {
      this.#preparing = undefined;
      throw new PrepareFailure(error);
    });
    return this.#preparing;
  }

  async #supportsTransactions(): Promise<boolean> {
    if (this.#mode !== 'auto') return this.#mode === 'always';
    const admin = this.client.db('admin');
    let hello: Record<string, unknown>;
    try {
      hello = await admin.command({ hello: 1 });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 59) throw error;
      hello = await admin.command({ isMaster: 1 });
    }
    return supportsTransactions(hello);
  }

  async #run<T>(operation: StoreOperation, options: StoreCallOptions | undefined, fn: () => Promise<T>): Promise<T> {
    this.#checkOpen(operation);
    options?.signal?.throwIfAborted();
    try {
      await untilAborted(this.#connect(), options?.signal);
      await untilAborted(this.#prepare(), options?.signal);
      return await fn();
    } catch (error) {
      throw this.#wrap(operation, error, options);
    }
  }

  /** Runs `fn` in a transaction when available, else directly (its writes are ordered safely). */
  async #write<T>(operation: StoreOperation, options: StoreCallOptions | undefined, fn: (session?: ClientSession) => Promise<T>): Promise<T> {
    this.#checkOpen(operation);
    options?.signal?.throwIfAborted();
    try {
      await untilAborted(this.#connect(), options?.signal);
      const transactions = await untilAborted(this.#prepare(), options?.signal);
      if (!transactions) return await fn();
      const session = this.client.startSession();
      try {
        let result: T | undefined;
        // Transactions must read from the primary, whatever the client's read preference.
        await session.withTransaction(
          async () => {
            result = await fn(session);
          },
          { readPreference: 'primary' },
        );
        return result as T;
      } finally {
        await session.endSession();
      }
    } catch (error) {
      throw this.#wrap(operation, error, options);
    }
  }

  #wrap(operation: StoreOperation, error: unknown, options: StoreCallOptions | undefined): unknown {
    if (options?.signal?.aborted && error === options.signal.reason) return error;
    if (error instanceof PrepareFailure) return toStoreError('migrate', error.cause, this.#context);
    return toStoreError(operation, error, this.#context);
  }

  async #save(doc: ServiceDocument, session?: ClientSession): Promise<void> {
    await this.#services.replaceOne({ _id: doc._id }, doc, { upsert: true, session });
    const key = doc._id;
    const groups = [...new Set(doc.subscriptions)];
    const ops: AnyBulkWriteOperation<SubscriptionDocument>[] = [
      { deleteMany: { filter: { subscriber_key: key, service_group: { $nin: groups } } } },
      ...groups.map((group) => ({
        updateOne: {
          filter: { subscriber_key: key, service_group: group },
          update: { $set: { subscriber_key: key, service_group: group } },
          upsert: true,
        },
      })),
    ];
    try {
      await this.#subscriptions.bulkWrite(ops, { ordered: true, session });
    } catch (error) {
      // Outside a transaction a concurrent addSubscription may insert one of these pairs between
      // our match and our insert; the pair then exists and a second pass only matches it.
      if (session !== undefined || (error as { code?: unknown }).code !== 11000) throw error;
      await this.#subscriptions.bulkWrite(ops, { ordered: true });
    }
  }

  async #delete(key: string, session?: ClientSession): Promise<boolean> {
    await this.#subscriptions.deleteMany({ subscriber_key: key }, { session });
    const result = await this.#services.deleteOne({ _id: key }, { session });
    return result.deletedCount > 0;
  }

  async #health(key: string, status: ServiceStatus, at: Date, session?: ClientSession): Promise<boolean> {
    const result = await this.#services.updateOne(
      { _id: key },
      { $set: { status, last_health_check: new Date(at.getTime()) } },
      { session },
    );
    return result.matchedCount > 0;
  }
}

/** Marks a failure of the first-use preparation (indexes, `hello`), reported as `migrate`. */
class PrepareFailure extends Error {
  constructor(cause: unknown) {
    super('[store-mongodb] preparing the collections failed', { cause });
  }
}
