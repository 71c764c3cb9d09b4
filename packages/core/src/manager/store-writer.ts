import type { ChangeTail } from '../cluster/change-tail';
import type { LoggedBatchResult, StoreChangeFeed } from '../coordination';
import { StoreError } from '../errors';
import type { ServiceInfo } from '../model';
import { applyMutationsSequentially, type RegistryStore, type StoreMutation } from '../store';
import { planBatch, type LaneItem, type PlannedChange } from './batch-plan';
import type { StoreRetryConfig } from './config';
import type { EventSink } from './events';
import type { Logger } from './logger';
import type { RegistryView } from './registry-view';
import { isTransientStoreError, withStoreRetry } from './store-retry';

/** What a {@link StoreWriter} works with. */
export interface StoreWriterOptions {
  store: RegistryStore;
  /** The view batches are planned against (read only here). */
  view: RegistryView;
  retry: StoreRetryConfig;
  logger: Logger;
  events: EventSink;
  /** Called with the plan of every batch the store has durably applied, in lane order. */
  committed(plan: PlannedChange[]): void;
  /**
   * Cluster mode: batches are written with `applyLoggedBatch`, planned against a view that has
   * caught up with the log, and their own entries go through the change tail (which updates the
   * view, probes and notifications for every replica's writes alike); `committed` then only
   * settles the callers.
   */
  logged?: { feed: StoreChangeFeed; tail(): ChangeTail };
  /**
   * After a write failed, its outcome may still be unknown (the connection died during COMMIT):
   * brings the view of these keys in line with what the store really holds instead of guessing.
   * (In cluster mode the change log says what committed: the next catch-up does it.)
   */
  reconcile?(keys: readonly string[]): Promise<void>;
}

/**
 * The ordered lane's `process`: plans each batch against the view, writes its mutations to the
 * store as one group commit (`applyBatch`, or one call at a time for stores without it),
 * retrying transient failures, and hands the plan to `committed` once the store has applied
 * it. A failed group commit is retried change by change so one bad change fails only its own
 * caller; a change that still fails rejects its caller with a `StoreError` and nothing of it
 * is applied.
 */
export class StoreWriter {
  readonly #o: StoreWriterOptions;

  constructor(options: StoreWriterOptions) {
    this.#o = options;
  }

  /** Applies one batch; settles every caller in it and never throws. */
  process(batch: LaneItem[]): Promise<void> {
    const logged = this.#o.logged;
    if (logged === undefined) return this.#process(batch, 'first');
    return logged.tail().locked(() => this.#process(batch, 'first'));
  }

  async #process(batch: LaneItem[], attempt: 'first' | 'fallback'): Promise<void> {
    const { store, logged } = this.#o;
    let behind: unknown;
    if (logged !== undefined) {
      // Plan against what every replica committed so far (an unregister finds a pod registered elsewhere).
      try {
        await withStoreRetry(() => logged.tail().catchUp(), this.#o.retry);
      } catch (error) {
        behind = error;
      }
    }
    const plan = planBatch(batch, this.#o.view, new Date());
    if (behind !== undefined) {
      this.#fail(plan, behind);
      return;
    }
    const mutations: StoreMutation[] = [];
    for (const change of plan) if (change.mutation !== undefined) mutations.push(change.mutation);
    let written: LoggedBatchResult | undefined;
    if (mutations.length > 0) {
      const startedAt = performance.now();
      try {
        const write = async (): Promise<unknown> => {
          try {
            if (logged !== undefined) return (written = await logged.feed.applyLoggedBatch(mutations));
            return await (store.applyBatch !== undefined ? store.applyBatch(mutations) : applyMutationsSequentially(store, mutations));
          } catch (error) {
            this.#o.events.emit('storeFailed', asError(error), { operation: 'applyBatch', transient: isTransientStoreError(error) });
            throw error;
          }
        };
        await (attempt === 'first' ? withStoreRetry(write, this.#o.retry) : write());
        this.#o.events.emit('committed', { changes: batch.length, mutations: mutations.length, durationMs: performance.now() - startedAt });
      } catch (error) {
        if (attempt === 'first' && batch.length > 1) await this.#fallBack(batch);
        else {
          this.#fail(plan, error);
          await this.#reconcile(plan);
        }
        return;
      }
    }
    if (logged !== undefined && written !== undefined) {
      try {
        await logged.tail().applyOwn(written, recordsOf(plan));
      } catch (error) {
        // Committed: the callers are answered; the view catches up at the next poll.
        this.#o.logger.warn({ err: error }, '[cluster] could not read back a committed batch; the view catches up at the next poll');
      }
    }
    this.#o.committed(plan);
  }

  /**
   * After a failed group commit: one bad change must not fail the others, so registrations and
   * unregistrations are applied one by one, in order; health results (checked again at the next
   * interval anyway) are tried once more as one group.
   */
  async #fallBack(batch: LaneItem[]): Promise<void> {
    const health: LaneItem[] = [];
    for (const item of batch) {
      if (item.kind === 'health') health.push(item);
      else await this.#process([item], 'fallback');
    }
    if (health.length > 0) await this.#process(health, 'fallback');
  }

  async #reconcile(plan: readonly PlannedChange[]): Promise<void> {
    const keys = [...new Set(plan.filter((change) => change.mutation !== undefined).map((change) => change.key))];
    if (keys.length === 0 || this.#o.logged !== undefined || this.#o.reconcile === undefined) return;
    try {
      await this.#o.reconcile(keys);
    } catch (error) {
      this.#o.logger.warn({ err: error, keys: keys.length }, '[core] could not re-read the pods of a failed write; their state is checked again at their next change');
    }
  }

  #fail(plan: PlannedChange[], error: unknown): void {
    const storeError =
      error instanceof StoreError
        ? error
        : new StoreError(this.#o.store.name, 'applyBatch', error instanceof Error ? error.message : String(error), { cause: error });
    let rejected = 0;
    let lostResults = 0;
    for (const { item, mutation } of plan) {
      if (item.kind !== 'health') {
        rejected++;
        item.reject(storeError);
      } else if (mutation !== undefined) lostResults++;
    }
    if (rejected === 0 && lostResults === 0) return;
    this.#o.logger.error(
      { err: storeError, store: this.#o.store.name, rejected, lostResults },
      lostResults > 0
        ? '[core] the store failed to apply changes; the health results are checked again at the next interval'
        : '[core] the store failed to apply changes; their callers got the error',
    );
    if (lostResults > 0) this.#o.events.surfaceLoggedError(storeError, `storing ${lostResults} health results failed`);
  }
}

/** The record each changed key has once the plan is applied (a deleted key is absent). */
function recordsOf(plan: readonly PlannedChange[]): Map<string, ServiceInfo> {
  const records = new Map<string, ServiceInfo>();
  for (const { key, after } of plan) {
    if (after === null) records.delete(key);
    else if (after !== undefined) records.set(key, after);
  }
  return records;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
