import type { LoggedBatchResult, StoreChangeFeed } from '../coordination';
import type { ServiceInfo } from '../model';
import type { Logger } from '../manager/logger';
import type { ChangeApplier } from './change-applier';

/** Entries read per `readChanges` call while catching up. */
const PAGE = 1_000;

/**
 * Keeps this replica's view equal to the database by following the change log: `applied` is
 * the seq of the last change applied. Every view change goes through one lock (`locked`), so a
 * lane batch (catch up → plan → write → apply its own entries) and a poll never interleave.
 *
 * Reads happen when woken by a hint (PostgreSQL NOTIFY), on the poll timer, before every lane
 * batch and after every own commit. When the entries it needs were pruned, it reloads the
 * whole view from a snapshot. While it cannot read the log it is not `healthy`: `/health`
 * answers 503 rather than serving a view that silently misses writes.
 */
export class ChangeTail {
  readonly #feed: StoreChangeFeed;
  readonly #applier: ChangeApplier;
  readonly #logger: Logger;
  readonly #staleAfterMs: number;
  #applied = 0;
  #reloads = 0;
  #lock: Promise<unknown> = Promise.resolve();
  #pollRunning = false;
  /** A poke folded while one ran: 'no', 'any' (no seq known) or the highest seq hinted. */
  #pollAgain: 'no' | 'any' | number = 'no';
  #lastReadAt = performance.now();
  #failing = false;

  /**
   * @param staleAfterMs after this long without a successful read the tail is not `healthy`.
   */
  constructor(feed: StoreChangeFeed, applier: ChangeApplier, logger: Logger, staleAfterMs: number) {
    this.#feed = feed;
    this.#applier = applier;
    this.#logger = logger;
    this.#staleAfterMs = staleAfterMs;
  }

  /** The seq of the last change applied to the view. */
  get applied(): number {
    return this.#applied;
  }

  /** How many times the view was reloaded from a snapshot. */
  get reloads(): number {
    return this.#reloads;
  }

  /** Whether the log was read successfully recently. */
  get healthy(): boolean {
    return performance.now() - this.#lastReadAt < this.#staleAfterMs;
  }

  /** Starts following from a snapshot's position (the view was loaded from that snapshot). */
  startAt(head: number): void {
    this.#applied = head;
    this.#lastReadAt = performance.now();
  }

  /** Runs `fn` with the view to itself (no catch-up or other batch interleaves). */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** Reads and applies everything committed so far. Call only inside `locked`. */
  async catchUp(): Promise<void> {
    try {
      for (;;) {
        const batch = await this.#feed.readChanges(this.#applied, { limit: PAGE });
        if (batch.truncated) {
          await this.#reload(batch.head < this.#applied ? 'the log is behind this replica (restored backup?)' : 'the entries it needs were pruned');
          break;
        }
        if (batch.changes.length > 0) {
          this.#applier.apply(batch.changes, batch.records);
          this.#applied = batch.changes[batch.changes.length - 1]!.seq;
        }
        if (batch.changes.length < PAGE) break;
      }
      this.#read();
    } catch (error) {
      this.#failed(error);
      throw error;
    }
  }

  /**
   * After this replica's own logged write: when nothing else committed since the last catch-up
   * (its first entry follows `applied`), applies its entries with the records it wrote, without
   * reading them back; otherwise catches up from the log. Call only inside `locked`.
   */
  async applyOwn(result: LoggedBatchResult, records: ReadonlyMap<string, ServiceInfo>): Promise<void> {
    const changes = result.changes;
    if (changes.length === 0) return;
    if (changes[0]!.seq === this.#applied + 1) {
      this.#applier.apply(changes, records);
      this.#applied = changes[changes.length - 1]!.seq;
      return;
    }
    await this.catchUp();
  }

  /**
   * Catches up soon (a hint, the poll timer); calls while one runs are folded into one more.
   * `seq`, from a hint that carried one, skips the read when the view has applied that far
   * already: the hint of this replica's own commit, applied by `applyOwn`, costs no round trip.
   */
  poke(seq?: number): void {
    if (seq !== undefined && seq <= this.#applied) return;
    if (this.#pollRunning) {
      const waiting = this.#pollAgain;
      this.#pollAgain = seq === undefined || waiting === 'any' ? 'any' : waiting === 'no' ? seq : Math.max(waiting, seq);
      return;
    }
    this.#pollRunning = true;
    void this.locked(() => (seq !== undefined && seq <= this.#applied ? Promise.resolve() : this.catchUp()))
      .catch(() => undefined)
      .finally(() => {
        this.#pollRunning = false;
        const again = this.#pollAgain;
        this.#pollAgain = 'no';
        if (again !== 'no') this.poke(again === 'any' ? undefined : again);
      });
  }

  async #reload(why: string): Promise<void> {
    const snapshot = await this.#feed.snapshot();
    this.#logger.warn({ applied: this.#applied, head: snapshot.head, why }, '[cluster] reloaded the whole registry from the database');
    this.#applier.reload(snapshot);
    this.#applied = snapshot.head;
    this.#reloads += 1;
  }

  #read(): void {
    this.#lastReadAt = performance.now();
    if (this.#failing) {
      this.#failing = false;
      this.#logger.info({ applied: this.#applied }, '[cluster] reading the change log again');
    }
  }

  #failed(error: unknown): void {
    if (!this.#failing) {
      this.#failing = true;
      this.#logger.warn({ err: error, applied: this.#applied }, '[cluster] could not read the change log; retrying');
    }
  }
}
