import type { StoreChangeFeed, StoreMembership, RegistrySnapshot } from '../coordination';
import { keyOf, type ServiceInfo } from '../model';
import type { Logger } from '../manager/logger';
import type { RegistryView } from '../manager/registry-view';
import type { ChangeApplier } from './change-applier';
import { ChangeTail } from './change-tail';
import { MembershipLoop } from './membership-loop';
import { Ownership } from './ownership';

/** Cluster settings, resolved (ms). */
export interface ClusterSettings {
  leaseMs: number;
  pollIntervalMs: number | undefined;
  logRetentionMs: number;
  healthFlushIntervalMs: number;
}

/** What the engine does when this replica's share changes. */
export interface ShareHooks {
  /** Pods this replica now probes: check them right away. */
  acquiredPods(keys: readonly string[]): void;
  /** Subscribers this replica now delivers to (the view has caught up): send each a `reconcile`. */
  acquiredSubscribers(keys: readonly string[]): void;
  /** Subscribers this replica no longer delivers to: drop what is queued for them. */
  releasedSubscribers(keys: readonly string[]): void;
}

/** `manager.stats().cluster`. */
export interface ClusterStats {
  /** This replica's member id (`undefined` while it holds no valid lease). */
  memberId: string | undefined;
  /** Live members at the last renewal, this one included (ids, sorted). */
  members: string[];
  /** Whether this replica trusts its lease (it probes and delivers only then). */
  valid: boolean;
  /** Pods this replica health-checks. */
  ownedPods: number;
  /** Subscribers this replica delivers to. */
  ownedSubscribers: number;
  /** The seq of the last change log entry applied to this replica's view. */
  appliedSeq: number;
  /** How often the view was reloaded from a snapshot (fell behind the pruned log). */
  reloads: number;
}

const PRUNE_EVERY_MS = 60_000;

/**
 * Cluster mode for one replica (docs/cluster.md): membership by leases on the database clock,
 * ownership of pods and subscribers by rendezvous hashing over the live members, the change
 * tail that keeps the view equal to the database, log pruning and the coarse flush of health
 * check times.
 */
export class ClusterCoordinator {
  readonly #feed: StoreChangeFeed;
  readonly #settings: ClusterSettings;
  readonly #logger: Logger;
  readonly #view: RegistryView;
  readonly #loop: MembershipLoop;
  readonly #ownership: Ownership;
  readonly #owned = new Set<string>();
  readonly #times = new Map<string, Date>();
  #hooks: ShareHooks | undefined;
  #tail: ChangeTail | undefined;
  #watch: { close(): Promise<void> } | undefined;
  #timers: NodeJS.Timeout[] = [];
  #graceTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(store: { membership: StoreMembership; changeFeed: StoreChangeFeed }, settings: ClusterSettings, logger: Logger, view: RegistryView) {
    this.#feed = store.changeFeed;
    this.#settings = settings;
    this.#logger = logger;
    this.#view = view;
    this.#loop = new MembershipLoop({
      membership: store.membership,
      leaseMs: settings.leaseMs,
      logger,
      onMembers: (self, members) => this.#membersChanged(self, members),
      onLost: () => {
        this.#ownership.reset();
        this.#rescan();
      },
    });
    // A key whose previous owner is live waits for that owner's next renewal (lease / 3) plus slack.
    this.#ownership = new Ownership(Math.ceil(settings.leaseMs / 2), () => this.#loop.valid());
  }

  /** The bookkeeping the change applier reports to. */
  readonly tracked = {
    added: (key: string, _service: ServiceInfo): void => {
      if (this.#ownership.owns(key)) this.#owned.add(key);
      else this.#owned.delete(key);
    },
    removed: (key: string): void => {
      this.#owned.delete(key);
      this.#times.delete(key);
    },
  };

  /** The change tail (after `attach`). */
  get tail(): ChangeTail {
    return this.#tail!;
  }

  /** Wires the applier and the engine's hooks (once, before `join`). */
  attach(applier: ChangeApplier, hooks: ShareHooks): void {
    this.#hooks = hooks;
    this.#tail = new ChangeTail(this.#feed, applier, this.#logger, Math.max(this.#settings.leaseMs, 3 * (this.#settings.pollIntervalMs ?? 1_000)));
  }

  /** Joins the cluster and reads the registry as of one log position. */
  async join(): Promise<RegistrySnapshot> {
    await this.#loop.start();
    try {
      return await this.#feed.snapshot();
    } catch (error) {
      await this.#loop.stop();
      throw error;
    }
  }

  /** Starts following the log from the snapshot's position (the view holds the snapshot now). */
  async follow(snapshot: RegistrySnapshot): Promise<void> {
    for (const [group, revision] of snapshot.groupRevisions) this.#view.setRevision(group, revision);
    this.tail.startAt(snapshot.head);
    const { pollIntervalMs } = this.#settings;
    let interval = pollIntervalMs ?? 250;
    if (this.#feed.watch !== undefined) {
      try {
        this.#watch = await this.#feed.watch(
          (seq) => this.tail.poke(seq),
          (error) => this.#logger.warn({ err: error }, '[cluster] the change listener failed; polling meanwhile and reconnecting'),
        );
      } catch (error) {
        this.#logger.warn({ err: error }, '[cluster] could not listen for changes; polling only');
      }
      if (this.#watch !== undefined) interval = pollIntervalMs ?? 1_000;
    }
    this.#every(interval, () => this.tail.poke());
    this.#every(PRUNE_EVERY_MS, () => this.#prune());
    this.#every(this.#settings.healthFlushIntervalMs, () => void this.#flushTimes());
    this.#rescan();
  }

  /** Whether this replica owns `key` (probes it, delivers to it) now. */
  owns(key: string): boolean {
    return this.#ownership.owns(key);
  }

  /** The owner's check time of a pod whose status did not change (written in the coarse flush). */
  noteCheckTime(key: string, at: Date): void {
    this.#times.set(key, at);
  }

  /** Whether this replica can serve: a trusted lease and a log read recently. */
  readiness(): { ready: boolean; reason?: string } {
    if (!this.#loop.valid()) return { ready: false, reason: 'this replica holds no valid cluster lease (database unreachable or rejoining)' };
    if (!this.tail.healthy) return { ready: false, reason: 'this replica cannot read the change log: its view may be stale' };
    return { ready: true };
  }

  stats(): ClusterStats {
    let subscribers = 0;
    for (const key of this.#owned) if ((this.#view.get(key)?.subscriptions.length ?? 0) > 0) subscribers++;
    return {
      memberId: this.#loop.id,
      members: [...this.#loop.members],
      valid: this.#loop.valid(),
      ownedPods: this.#owned.size,
      ownedSubscribers: subscribers,
      appliedSeq: this.#tail?.applied ?? 0,
      reloads: this.#tail?.reloads ?? 0,
    };
  }

  /** Stops the timers and the listener, writes the last check times, and leaves the cluster. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    // Leave first, while the pool keeps the process alive, so the others take over now.
    await this.#flushTimes();
    await this.#loop.stop();
    await this.#watch?.close().catch(() => undefined);
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  #membersChanged(self: string, members: string[]): void {
    if (!this.#ownership.update(self, members)) return;
    this.#logger.info({ member: self, members: members.length, ids: members }, '[cluster] cluster members changed');
    this.#rescan();
  }

  /** Compares what this replica owns now with what it owned, and hands the differences to the engine. */
  #rescan(): void {
    if (this.#stopped || this.#hooks === undefined || this.#tail === undefined) return;
    const acquiredPods: string[] = [];
    const acquiredSubscribers: string[] = [];
    const releasedSubscribers: string[] = [];
    for (const service of this.#view.values()) {
      const key = keyOf(service);
      const owns = this.#ownership.owns(key);
      if (owns === this.#owned.has(key)) continue;
      const subscriber = service.subscriptions.length > 0;
      if (owns) {
        this.#owned.add(key);
        acquiredPods.push(key);
        if (subscriber) acquiredSubscribers.push(key);
      } else {
        this.#owned.delete(key);
        if (subscriber) releasedSubscribers.push(key);
      }
    }
    const hooks = this.#hooks;
    if (releasedSubscribers.length > 0) hooks.releasedSubscribers(releasedSubscribers);
    if (acquiredPods.length > 0) hooks.acquiredPods(acquiredPods);
    if (acquiredSubscribers.length > 0) {
      // Deliver only from a view at least as new as the previous owner's: revisions never go back.
      void this.tail
        .locked(async () => {
          await this.tail.catchUp();
          hooks.acquiredSubscribers(acquiredSubscribers.filter((key) => this.#ownership.owns(key)));
        })
        .catch((error: unknown) => this.#logger.warn({ err: error }, '[cluster] could not catch up before reconciling acquired subscribers'));
    }
    if (acquiredPods.length + releasedSubscribers.length > 0) {
      this.#logger.info(
        { acquired: acquiredPods.length, released: releasedSubscribers.length, owned: this.#owned.size },
        '[cluster] this replica’s share changed',
      );
    }
    const graceLeft = this.#ownership.graceUntil - performance.now();
    if (graceLeft > 0) {
      if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
      this.#graceTimer = setTimeout(() => {
        this.#graceTimer = undefined;
        this.#rescan();
      }, graceLeft + 5);
      this.#graceTimer.unref();
    }
  }

  #prune(): void {
    if (!this.#loop.valid()) return;
    this.#feed.prune(this.#settings.logRetentionMs).then(
      (n) => n > 0 && this.#logger.debug({ pruned: n }, '[cluster] pruned the change log'),
      (error: unknown) => this.#logger.warn({ err: error }, '[cluster] pruning the change log failed; retried in a minute'),
    );
  }

  async #flushTimes(): Promise<void> {
    if (this.#times.size === 0) return;
    const times = new Map(this.#times);
    this.#times.clear();
    try {
      await this.#feed.flushHealthTimes(times);
    } catch (error) {
      for (const [key, at] of times) if (!this.#times.has(key)) this.#times.set(key, at);
      this.#logger.warn({ err: error, pods: times.size }, '[cluster] writing health check times failed; retried at the next flush');
    }
  }
}
