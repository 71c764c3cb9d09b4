import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { MembershipView, StoreMembership } from '../coordination';
import type { Logger } from '../manager/logger';

/** What a {@link MembershipLoop} works with. Durations in ms. */
export interface MembershipLoopOptions {
  membership: StoreMembership;
  leaseMs: number;
  logger: Logger;
  /** Told after every successful join or renewal: this replica's id and the live members. */
  onMembers(self: string, members: string[]): void;
  /** Told once when this replica stops trusting its lease (it must stop working at once). */
  onLost(reason: string): void;
}

/**
 * This replica's membership: joins with a fresh id, renews the lease every `leaseMs / 3`, and
 * trusts it only until `leaseMs − margin` after the start of the last successful renewal,
 * measured on this process's monotonic clock (the lease itself is timed by the database clock,
 * so process clocks are never compared). When the lease cannot be renewed in time (database
 * unreachable, process paused), or the database says it lapsed, the replica is told it lost
 * its membership and joins again with a new id as soon as it can.
 */
export class MembershipLoop {
  readonly #o: MembershipLoopOptions;
  readonly #info = `${hostname()} pid ${process.pid}`.slice(0, 512);
  readonly #marginMs: number;
  #id: string | undefined;
  #validUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #tick: Promise<void> | undefined;
  #members: string[] = [];
  #view: MembershipView | undefined;
  #lost = true;
  #failures = 0;

  constructor(options: MembershipLoopOptions) {
    this.#o = options;
    this.#marginMs = Math.min(1_000, Math.floor(options.leaseMs / 5));
  }

  /** This replica's member id while it holds a lease it trusts. */
  get id(): string | undefined {
    return this.valid() ? this.#id : undefined;
  }

  /** The live members at the last successful renewal (ids, sorted). */
  get members(): readonly string[] {
    return this.#members;
  }

  /** The membership as the database reported it at the last join or renewal (with each member's info). */
  get lastView(): MembershipView | undefined {
    return this.#view;
  }

  /** Whether the lease can be trusted now. */
  valid(): boolean {
    return this.#id !== undefined && performance.now() < this.#validUntil;
  }

  /** Joins (rejects with the store's error when the database cannot be reached) and starts renewing. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#join();
    this.#schedule(this.#renewEvery());
  }

  /** Stops renewing and leaves at once (the others take over without waiting for the lease). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    const id = this.#id;
    this.#id = undefined;
    if (id === undefined) return;
    try {
      await this.#o.membership.leave(id);
    } catch (error) {
      this.#o.logger.warn({ err: error, member: id }, '[cluster] could not leave the cluster; the others take over when the lease lapses');
    }
  }

  #renewEvery(): number {
    return Math.max(50, Math.floor(this.#o.leaseMs / 3));
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick = this.#renew().finally(() => {
        this.#tick = undefined;
      });
    }, ms);
    this.#timer.unref();
  }

  async #join(): Promise<void> {
    const id = randomUUID();
    const started = performance.now();
    const view = await this.#o.membership.join(id, this.#o.leaseMs, this.#info);
    this.#id = id;
    this.#accept(started, view);
    this.#o.logger.info({ member: id, members: this.#members.length }, '[cluster] joined the cluster');
  }

  async #renew(): Promise<void> {
    let next = this.#renewEvery();
    try {
      if (this.#id !== undefined && !this.valid()) this.#lose('the lease could not be renewed in time (database unreachable or process paused)');
      if (this.#id === undefined) {
        await this.#join();
      } else {
        const started = performance.now();
        const view = await this.#o.membership.renew(this.#id, this.#o.leaseMs);
        if (view === undefined) {
          this.#lose('the database says the lease lapsed (another replica may have taken over)');
          await this.#join();
        } else {
          this.#accept(started, view);
        }
      }
      this.#failures = 0;
    } catch (error) {
      this.#failures += 1;
      if (this.#id !== undefined && !this.valid()) this.#lose('the lease could not be renewed in time');
      const log = this.#failures === 1 ? 'warn' : 'debug';
      this.#o.logger[log]({ err: error, failures: this.#failures }, '[cluster] renewing the lease failed; retrying');
      next = Math.min(next, 500);
    }
    if (!this.#stopped) this.#schedule(next);
  }

  #accept(started: number, view: MembershipView): void {
    if (this.#stopped) return;
    this.#validUntil = started + this.#o.leaseMs - this.#marginMs;
    this.#lost = false;
    this.#view = view;
    const members = view.members.map((m) => m.id).sort();
    if (this.#id !== undefined && !members.includes(this.#id)) members.push(this.#id);
    this.#members = members;
    this.#o.onMembers(this.#id!, members);
  }

  #lose(reason: string): void {
    const id = this.#id;
    this.#id = undefined;
    this.#validUntil = 0;
    if (this.#lost) return;
    this.#lost = true;
    this.#o.logger.warn({ member: id, reason }, '[cluster] lost the lease: stopped probing and delivering until it rejoins');
    this.#o.onLost(reason);
  }
}
