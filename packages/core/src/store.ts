import type { StoreChangeFeed, StoreMembership } from './coordination';
import type { ServiceInfo, ServiceStatus } from './model';

/** Trailing options every store call accepts. Stores that cannot cancel ignore `signal`. */
export interface StoreCallOptions {
  signal?: AbortSignal;
}

/** Counts reported by `RegistryStore.stats()`. */
export interface StoreStats {
  /** Registered pods. */
  services: number;
  /** (subscriber, group) pairs. */
  subscriptions: number;
}

/** One change inside `applyBatch`. */
export type StoreMutation =
  | { type: 'save'; service: ServiceInfo }
  | { type: 'delete'; key: string }
  | { type: 'health'; key: string; status: ServiceStatus; at: Date };

/**
 * Result of one mutation in `applyBatch`, in the same position: `true` for a save, and for a
 * delete or health update whether the pod existed (as the single-call methods report).
 */
export type StoreMutationResult = boolean;

/**
 * The storage contract every backend implements. Method names follow the Go library's
 * `RegistryStore`, so its users recognise them.
 *
 * Guarantees every implementation gives (checked by `@governance/core/testing`):
 *
 * - **Not found is not an error.** Reads of missing things resolve to `undefined` or `[]`;
 *   `deleteService` / `updateHealthStatus` of a missing key resolve to `false`.
 * - **Copies or frozen.** Returned objects are either fresh copies or deeply frozen (the record,
 *   its arrays, providers and dates: every mutation attempt throws a `TypeError` in strict
 *   mode); either way, mutating what a read returned never changes what the store holds. A store
 *   may hand the same frozen object to several readers; it replaces a record on write rather
 *   than changing it, so a record read earlier stays as it was. Inputs are never kept: mutating
 *   an object after passing it to `saveService` never changes the store, and the store never
 *   freezes the caller's objects. To change a record you read, clone it first (`cloneService`).
 * - **Atomic registration.** `saveService` writes the pod's record and replaces the pod's rows in
 *   the subscription index as one unit: after a crash either both or neither are visible.
 *   `deleteService` removes both as one unit as well.
 * - **Millisecond timestamps.** Dates round-trip to the millisecond.
 * - **Failures are typed.** Real failures (connection lost, store closed, constraint broken)
 *   reject with `StoreError` carrying the driver's error as `cause`.
 * - **Closing.** `close()` is idempotent; any later call rejects with `StoreError`.
 * - **Concurrency.** Calls may be issued concurrently; each is applied atomically and none is
 *   lost. The manager itself issues state changes from one ordered lane.
 */
export interface RegistryStore {
  /** A short name used in error messages and logs, e.g. `store-postgres`. */
  readonly name: string;

  /**
   * Inserts or replaces the pod `serviceName:podName` (one record per key) and makes the
   * subscription index for that pod equal to `service.subscriptions` — atomically.
   */
  saveService(service: ServiceInfo, options?: StoreCallOptions): Promise<void>;

  /** The pod with this key, or `undefined`. */
  getService(key: string, options?: StoreCallOptions): Promise<ServiceInfo | undefined>;

  /** Every pod of one service (service group), or `[]`. Order is unspecified. */
  getServicesByName(serviceName: string, options?: StoreCallOptions): Promise<ServiceInfo[]>;

  /** Every registered pod. Order is unspecified. */
  getAllServices(options?: StoreCallOptions): Promise<ServiceInfo[]>;

  /**
   * Removes the pod and all its subscriptions as one unit.
   * @returns whether the pod existed.
   */
  deleteService(key: string, options?: StoreCallOptions): Promise<boolean>;

  /**
   * Sets the pod's `status` and `lastHealthCheck` (other fields unchanged).
   * @returns whether the pod existed; a missing pod is left missing.
   */
  updateHealthStatus(key: string, status: ServiceStatus, at: Date, options?: StoreCallOptions): Promise<boolean>;

  /**
   * Records that `subscriberKey` subscribes to `serviceGroup`. Idempotent. Edits the
   * subscription index only (the pod record's `subscriptions` array is what `saveService` wrote).
   */
  addSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void>;

  /** Removes one (subscriber, group) pair. Idempotent. */
  removeSubscription(subscriberKey: string, serviceGroup: string, options?: StoreCallOptions): Promise<void>;

  /** Removes every subscription of one subscriber, and nobody else's. Idempotent. */
  removeAllSubscriptions(subscriberKey: string, options?: StoreCallOptions): Promise<void>;

  /** Keys of the subscribers of a group, or `[]`. Order is unspecified. */
  getSubscribers(serviceGroup: string, options?: StoreCallOptions): Promise<string[]>;

  /**
   * The pod records of a group's subscribers. Subscribers whose pod no longer exists are
   * skipped. Order is unspecified.
   */
  getSubscriberServices(serviceGroup: string, options?: StoreCallOptions): Promise<ServiceInfo[]>;

  /**
   * Optional group commit: applies every mutation in order, all or nothing (one transaction in
   * SQL stores). Resolves only once the whole batch is durable. The manager uses it, when
   * present, to apply several queued changes with one round trip.
   */
  applyBatch?(mutations: readonly StoreMutation[], options?: StoreCallOptions): Promise<StoreMutationResult[]>;

  /**
   * Optional: membership by leases on the database clock. With `changeFeed` too, several managers
   * share the store as one registry (cluster mode); alone, it lets the engine refuse a second
   * manager instead of silently splitting the registry. See `coordination.ts` and docs/cluster.md.
   */
  readonly membership?: StoreMembership;

  /**
   * Optional: the append-only change log every write of this store goes through, which managers
   * tail to keep their views equal to the store (cluster mode). See `coordination.ts`.
   */
  readonly changeFeed?: StoreChangeFeed;

  /** Removes every pod and subscription (tests, tooling). */
  clear(options?: StoreCallOptions): Promise<void>;

  /** Numbers of pods and of subscription pairs. */
  stats(options?: StoreCallOptions): Promise<StoreStats>;

  /** Resolves when the store is reachable; rejects with `StoreError` otherwise. */
  ping(options?: StoreCallOptions): Promise<void>;

  /**
   * Releases what the store opened (never a client or pool the host handed in). Idempotent;
   * every later call rejects with `StoreError`.
   */
  close(): Promise<void>;
}

/**
 * Applies a batch one mutation at a time through the single-call methods. Stores without a
 * native `applyBatch` (and the manager, for such stores) use this; it is not atomic.
 */
export async function applyMutationsSequentially(
  store: RegistryStore,
  mutations: readonly StoreMutation[],
  options?: StoreCallOptions,
): Promise<StoreMutationResult[]> {
  const results: StoreMutationResult[] = [];
  for (const m of mutations) {
    if (m.type === 'save') {
      await store.saveService(m.service, options);
      results.push(true);
    } else if (m.type === 'delete') {
      results.push(await store.deleteService(m.key, options));
    } else {
      results.push(await store.updateHealthStatus(m.key, m.status, m.at, options));
    }
  }
  return results;
}
