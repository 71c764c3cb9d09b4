import type { ServiceInfo } from './model';
import type { StoreCallOptions, StoreMutation } from './store';

/**
 * Coordination capabilities a store may offer so that several managers on one database act as
 * one registry (see docs/cluster.md). Both are optional parts of the `RegistryStore` contract:
 *
 * - a store with `membership` **and** `changeFeed` supports cluster mode: any number of managers
 *   share it, each tails the change feed and owns a share of the probes and deliveries;
 * - a store with `membership` only lets exactly one manager run on it: a second manager is
 *   refused at `start()` while the first one's lease is live;
 * - a store with neither is a single-manager store the engine cannot guard (MemoryStore is a
 *   cluster of one by nature: nobody else can reach its data).
 *
 * Time is always the **database's** clock: leases and pruning horizons are computed by the
 * database (`now()`), never by comparing clocks of different processes.
 */

/** One write to one pod, as recorded in the change log. */
export interface RegistryChange {
  /**
   * Position in the log. Dense (no gaps, also after rolled-back transactions), strictly
   * increasing, and committed in order: when `seq` N is visible, every seq below N is visible
   * too. It is the cluster-wide revision of the pod's group after this change.
   */
  seq: number;
  /** The pod's key (`serviceName:podName`). */
  key: string;
  /** The pod's service name: the group whose pod list this change affects. */
  group: string;
  /** `save` (registered or updated), `delete` (unregistered) or `health` (status transition). */
  kind: 'save' | 'delete' | 'health';
}

/** What `StoreChangeFeed.readChanges` returns: one consistent snapshot of log and records. */
export interface ChangeBatch {
  /**
   * Changes after the requested position, in order and without gaps
   * (`changes[0].seq === after + 1`), at most `limit` of them. Empty when nothing is new or when
   * `truncated` is true. A reader never skips a seq: should `after + 1` not be visible yet, the
   * changes stop before it (and the caller reads again later).
   */
  changes: RegistryChange[];
  /**
   * The current record of every key named in `changes`, read in the same snapshot as the log
   * (a key that is absent was deleted by its last change in that snapshot). When `changes` stops
   * before `head` (at `limit`), a record may already reflect a later change of its key.
   */
  records: Map<string, ServiceInfo>;
  /**
   * The log head in that snapshot: the seq of the last committed change, or the log's starting
   * position while nothing was logged yet. Not 0: the counter starts at the database's clock in
   * microseconds plus a day (docs/cluster.md), so a new reader starts at `snapshot().head` (or
   * this value), never at 0.
   */
  head: number;
  /**
   * True when entries after the requested position were pruned, or when the requested position
   * is beyond `head` (the log went backwards, e.g. a restored backup): the caller cannot catch up
   * from the log and must reload with `snapshot()`.
   */
  truncated: boolean;
}

/** Everything a manager needs to (re)build its view: all records at one log position. */
export interface RegistrySnapshot {
  /** The log position the records reflect (see `ChangeBatch.head`). */
  head: number;
  services: ServiceInfo[];
  /**
   * The seq of the last change of every group that has ever changed (kept when the log is
   * pruned), so revisions stay monotonic after a reload or a restart.
   */
  groupRevisions: Map<string, number>;
}

/** Result of a logged write: the ordinary results plus where the write landed in the log. */
export interface LoggedBatchResult {
  /** Same as `RegistryStore.applyBatch` results, in position. */
  results: boolean[];
  /**
   * The highest seq this transaction appended, or `undefined` when it changed nothing (every
   * mutation was a no-op, e.g. a delete of a missing key). Reading the feed up to this seq makes
   * the caller's own write visible in its view.
   */
  lastSeq: number | undefined;
  /**
   * The entries this transaction appended, in seq order (the last one's seq is `lastSeq`; empty
   * when `lastSeq` is `undefined`): exactly what `readChanges` returns for them. A manager whose
   * view was current before the write applies these without reading them back.
   */
  changes: RegistryChange[];
}

/**
 * The append-only change log of a store, and the reads a manager needs to follow it.
 *
 * Every write of a pod record by a store that has a change feed (`saveService`, `deleteService`,
 * `updateHealthStatus`, `applyBatch`, `clear`) appends one entry per changed pod in the **same
 * transaction** as the write, so a committed write is always in the log and a rolled-back one
 * never is — also when the writer is not a manager (a migration tool). Writes that change
 * nothing append nothing. (Edits of the subscription index alone — `addSubscription` and
 * friends — do not change a pod record and are not logged: managers derive subscribers from the
 * records.)
 */
export interface StoreChangeFeed {
  /**
   * Like `RegistryStore.applyBatch` (all or nothing, in order), and also reports the log
   * position of the write. A `health` mutation whose status equals the stored one updates
   * `lastHealthCheck` only and appends nothing.
   */
  applyLoggedBatch(mutations: readonly StoreMutation[], options?: StoreCallOptions): Promise<LoggedBatchResult>;

  /**
   * Changes with `seq > after`, oldest first, at most `limit` (default 1,000), with the current
   * records of their keys, read in one consistent snapshot. One indexed range scan.
   */
  readChanges(after: number, options?: StoreCallOptions & { limit?: number }): Promise<ChangeBatch>;

  /** Every record and every group's revision at one log position (one consistent snapshot). */
  snapshot(options?: StoreCallOptions): Promise<RegistrySnapshot>;

  /**
   * Sets `lastHealthCheck` of existing pods without touching their status and without
   * appending to the log (the owner's coarse flush of check times; see docs/cluster.md). Never
   * moves a pod's time backwards: a later stored time (a status transition, another owner's
   * flush) is kept. Missing keys are ignored. Returns how many existing pods were matched.
   */
  flushHealthTimes(times: ReadonlyMap<string, Date>, options?: StoreCallOptions): Promise<number>;

  /**
   * Deletes log entries older than `olderThanMs` by the database clock, always keeping the
   * newest one. Returns how many were deleted. Safe to call from several managers at once.
   */
  prune(olderThanMs: number, options?: StoreCallOptions): Promise<number>;

  /**
   * Subscribes to wake-up hints: `onHint` is called (soon) after any transaction that appended
   * to the log commits, in any process. A hint is only a hint: it may be lost (a dropped
   * listening connection, a process that was not listening) and it carries nothing the caller
   * may rely on, so callers must also poll. Resolves `undefined` when the store has no
   * notification mechanism: poll only (a store may also leave `watch` out, as MySQL does). The
   * returned `close()` is idempotent; closing the store closes it too. `onError` is told when
   * the listening connection is lost (and each time re-opening it fails); the feed reconnects by
   * itself with backoff and, once listening again, calls `onHint` so the caller catches up on
   * what it missed. Rejects with `StoreError` when the first connection cannot be opened.
   * A hint may carry `seq`, the newest seq the committed transaction appended: a caller that has
   * applied the log up to it already can skip reading (it is never needed for correctness; a hint
   * without it means "something may have changed").
   */
  watch?(onHint: (seq?: number) => void, onError?: (error: Error) => void): Promise<{ close(): Promise<void> } | undefined>;
}

/** A manager that holds (or held) a lease, as the database sees it. */
export interface ClusterMember {
  /** Chosen by the manager; unique per process lifetime (a restarted process joins with a new id). */
  id: string;
  /** Free-form description for operators (host, pid, URL), at most 512 characters. */
  info: string;
  /** When this member joined (database clock). */
  joinedAt: Date;
  /** When its lease lapses unless renewed (database clock). */
  leaseExpiresAt: Date;
}

/** The live members and the database clock, read in one round trip. */
export interface MembershipView {
  /** Members whose lease has not lapsed at `now`, ordered by id. */
  members: ClusterMember[];
  /** The database clock when the view was read. */
  now: Date;
}

/**
 * Membership by leases in a table, timed by the database clock. A member joins, renews its
 * lease well before it lapses, and leaves on graceful stop. A member whose lease lapsed must
 * stop working at once and join again (with a new id) before it works again: `renew` refuses a
 * lapsed lease, so two processes can never both believe they hold the same live lease.
 */
export interface StoreMembership {
  /**
   * Adds `id` with a lease of `leaseMs` from the database's `now()`. Also deletes members whose
   * lease lapsed long ago (housekeeping). Fails with `StoreError` if `id` is already live (an id
   * whose lease lapsed may join again). Bad arguments (an empty id, `leaseMs` not a positive
   * integer, `info` over 512 characters) reject with `ValidationError` before any query.
   */
  join(id: string, leaseMs: number, info: string, options?: StoreCallOptions): Promise<MembershipView>;

  /**
   * Extends the lease of `id` to `now() + leaseMs` if it has not lapsed, and returns the live
   * members. Resolves `undefined` (and changes nothing) when the lease lapsed or `id` is
   * unknown: the caller lost its membership and must stop working and join again.
   */
  renew(id: string, leaseMs: number, options?: StoreCallOptions): Promise<MembershipView | undefined>;

  /** Removes `id` at once (graceful stop), so the others take over its share immediately. Idempotent. */
  leave(id: string, options?: StoreCallOptions): Promise<void>;

  /** The live members now, by the database clock. */
  members(options?: StoreCallOptions): Promise<MembershipView>;
}
