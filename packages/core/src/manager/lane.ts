import PQueue from 'p-queue';
import { ManagerStoppedError, QueueFullError } from '../errors';

/** How the lane hands work to its owner. */
export interface LaneOptions<T> {
  /** Most ordered items waiting at once; `push` beyond it throws `QueueFullError`. */
  capacity: number;
  /** Most items handed to `process` in one call (group commit). */
  maxBatchSize: number;
  /**
   * Applies one batch, in order. Must settle every item it was given (resolve or reject its
   * caller) and should not throw; if it does, `onError` gets the error.
   */
  process(batch: T[]): Promise<void>;
  onError(error: unknown): void;
}

/**
 * The ordered lane every state change goes through: a p-queue with concurrency 1 whose tasks
 * each take every waiting item (up to `maxBatchSize`) and process them as one batch.
 *
 * Two kinds of items wait in it:
 * - ordered items (registrations, unregistrations), bounded by `capacity` and processed in
 *   the order they were pushed;
 * - keyed items (health results), at most one per key — a newer one replaces the waiting one
 *   in place — so a sweep over many pods cannot flood the lane. They are not counted against
 *   `capacity` (there can be at most one per tracked pod) and are processed after the ordered
 *   items taken into the same batch; at least a quarter of every batch is left for them, so
 *   neither kind starves.
 */
export class Lane<T> {
  readonly #options: LaneOptions<T>;
  readonly #queue = new PQueue({ concurrency: 1 });
  #ordered: T[] = [];
  readonly #keyed = new Map<string, T>();
  #scheduled = false;
  #closed = false;
  #inBatch = 0;
  /** When the batch in progress started (performance.now()). */
  #batchStartedAt = 0;
  /** Since when ordered items have been waiting without a break (performance.now()). */
  #waitingSince = 0;

  constructor(options: LaneOptions<T>) {
    this.#options = options;
  }

  /** Items waiting, of both kinds (not counting the batch being processed). */
  get depth(): number {
    return this.#ordered.length + this.#keyed.size;
  }

  /** Items in the batch being processed now. */
  get inFlight(): number {
    return this.#inBatch;
  }

  /**
   * How long (ms) the oldest change still in the lane has been there: the batch being applied
   * (counted from when it started) or the ordered items waiting. 0 when nothing is pending.
   */
  oldestWaitMs(now = performance.now()): number {
    const batch = this.#inBatch > 0 ? now - this.#batchStartedAt : 0;
    const waiting = this.#ordered.length > 0 ? now - this.#waitingSince : 0;
    return Math.max(batch, waiting);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues an ordered item.
   * @throws QueueFullError when `capacity` items are already waiting.
   * @throws ManagerStoppedError after `close()`.
   */
  push(item: T): void {
    if (this.#closed) throw new ManagerStoppedError('the manager is stopping; the change was not accepted');
    if (this.#ordered.length >= this.#options.capacity) throw new QueueFullError(this.#options.capacity);
    if (this.#ordered.length === 0) this.#waitingSince = performance.now();
    this.#ordered.push(item);
    this.#schedule();
  }

  /** Queues a keyed item, replacing a waiting one with the same key. False after `close()`. */
  pushKeyed(key: string, item: T): boolean {
    if (this.#closed) return false;
    if (this.#keyed.has(key)) {
      this.#keyed.set(key, item);
      return true;
    }
    this.#keyed.set(key, item);
    this.#schedule();
    return true;
  }

  /** Discards the waiting keyed item for `key`, if any. */
  dropKeyed(key: string): void {
    this.#keyed.delete(key);
  }

  /** Stops accepting items; waiting ones are still processed. */
  close(): void {
    this.#closed = true;
  }

  /** Removes and returns every waiting item of both kinds (the batch in progress is not touched). */
  discard(): T[] {
    const out = [...this.#ordered, ...this.#keyed.values()];
    this.#ordered = [];
    this.#keyed.clear();
    return out;
  }

  /** Resolves once nothing is waiting or being processed. */
  async drain(): Promise<void> {
    while (this.depth > 0 || this.#queue.size > 0 || this.#queue.pending > 0) {
      await this.#queue.onIdle();
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    void this.#queue.add(() => this.#runBatch()).catch((error: unknown) => this.#options.onError(error));
  }

  async #runBatch(): Promise<void> {
    // p-queue may start a task synchronously; yield once so changes made in the same tick
    // join this batch.
    await undefined;
    this.#scheduled = false;
    const batch = this.#take();
    if (batch.length === 0) return;
    this.#inBatch = batch.length;
    this.#batchStartedAt = performance.now();
    try {
      await this.#options.process(batch);
    } catch (error) {
      this.#options.onError(error);
    } finally {
      this.#inBatch = 0;
    }
    if (this.depth > 0) this.#schedule();
  }

  #take(): T[] {
    const max = this.#options.maxBatchSize;
    const reserve = this.#keyed.size === 0 ? 0 : Math.min(this.#keyed.size, Math.max(1, Math.floor(max / 4)));
    const orderedCount = Math.min(this.#ordered.length, Math.max(max - reserve, 1));
    const batch =
      orderedCount === this.#ordered.length ? this.#ordered : this.#ordered.slice(0, orderedCount);
    this.#ordered = orderedCount === this.#ordered.length ? [] : this.#ordered.slice(orderedCount);
    let room = max - batch.length;
    if (room > 0 && this.#keyed.size > 0) {
      for (const [key, item] of this.#keyed) {
        if (room-- <= 0) break;
        this.#keyed.delete(key);
        batch.push(item);
      }
    }
    return batch;
  }
}
