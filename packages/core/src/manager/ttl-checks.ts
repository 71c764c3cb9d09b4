import type { StoreChangeFeed } from '../coordination';
import type { RegistryStore } from '../store';
import type { Logger } from './logger';
import type { ProbeResult } from './probe';

/** What {@link TtlChecks} works with. */
export interface TtlChecksOptions {
  /** Reports a check result of a TTL pod (the same path as probe results); `at` = its last heartbeat. */
  onResult(key: string, result: ProbeResult, at: Date): void;
  /** The pod's current status in the view (a heartbeat of a pod not `healthy` reports a pass at once). */
  statusOf(key: string): string | undefined;
  logger: Logger;
  /**
   * Cluster mode: which pods this replica owns; heartbeats of other pods are relayed through
   * the store (`flushHealthTimes`, not logged), and a pod that looks late is read back from the
   * store before it is failed (the heartbeat may have reached another replica).
   */
  cluster?: { owns(key: string): boolean; feed: Pick<StoreChangeFeed, 'flushHealthTimes'>; store: Pick<RegistryStore, 'getService'> };
}

interface Pod {
  ttl: number;
  /** Epoch ms of the last heartbeat this replica knows of (tracking start when none yet). */
  lastBeat: number;
  /** Epoch ms of the last failure reported: one failure per missed ttl. */
  lastFailure: number;
  /** A failure was reported and no pass since: the next heartbeat reports a pass. */
  failing: boolean;
}

/** How often the late pods are looked for. */
const TICK_MS = 250;
/** Cluster mode: how often relayed heartbeats are written to the store. */
const RELAY_MS = 1_000;

/**
 * TTL (heartbeat) checks: a pod registered with `ttl` is not probed; it calls `PUT /heartbeat`
 * and is failed once per `ttl` without one. A heartbeat is one map write (no allocation, no
 * lane, no store write) unless it changes something: the first one after registration or after
 * a failure reports a passing check. Results go through the same path as probe results, so
 * `failureThreshold`, `successThreshold`, `deregisterAfter` and self-preservation apply alike.
 */
export class TtlChecks {
  readonly #o: TtlChecksOptions;
  readonly #pods = new Map<string, Pod>();
  /** Cluster mode: heartbeats of pods owned by another replica, waiting for the next relay write. */
  #relay = new Map<string, Date>();
  #tick: NodeJS.Timeout | undefined;
  #relayTimer: NodeJS.Timeout | undefined;
  #reading = false;

  constructor(options: TtlChecksOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#pods.size;
  }

  start(): void {
    if (this.#tick !== undefined) return;
    this.#tick = setInterval(() => this.#late(), TICK_MS);
    this.#tick.unref();
    if (this.#o.cluster !== undefined) {
      this.#relayTimer = setInterval(() => void this.#flushRelay(), RELAY_MS);
      this.#relayTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#tick);
    clearInterval(this.#relayTimer);
    this.#tick = this.#relayTimer = undefined;
    await this.#flushRelay();
  }

  /** Starts (or updates) the TTL check of a pod; a new pod gets one ttl from now for its first heartbeat. */
  track(key: string, ttl: number): void {
    const pod = this.#pods.get(key);
    if (pod !== undefined) {
      pod.ttl = ttl;
      return;
    }
    const now = Date.now();
    this.#pods.set(key, { ttl, lastBeat: now, lastFailure: now, failing: false });
  }

  untrack(key: string): void {
    this.#pods.delete(key);
  }

  has(key: string): boolean {
    return this.#pods.has(key);
  }

  /**
   * Records a heartbeat. Returns false when the pod has no TTL check (not registered, or
   * registered with a health URL).
   */
  beat(key: string): boolean {
    const pod = this.#pods.get(key);
    if (pod === undefined) return false;
    const now = Date.now();
    pod.lastBeat = now;
    const cluster = this.#o.cluster;
    if (cluster !== undefined && !cluster.owns(key)) {
      this.#relay.set(key, new Date(now));
      return true;
    }
    if (pod.failing || this.#o.statusOf(key) !== 'healthy') {
      pod.failing = false;
      this.#o.onResult(key, { healthy: true, attempts: 1, durationMs: 0 }, new Date(now));
    }
    return true;
  }

  /** Fails each owned pod whose last heartbeat is older than its ttl, at most once per ttl. */
  #late(): void {
    const now = Date.now();
    const cluster = this.#o.cluster;
    let suspects: Array<[string, Pod]> | undefined;
    for (const [key, pod] of this.#pods) {
      if (now - pod.lastBeat <= pod.ttl || now - pod.lastFailure < pod.ttl) continue;
      if (cluster === undefined) this.#fail(key, pod, now);
      else if (cluster.owns(key)) (suspects ??= []).push([key, pod]);
    }
    if (suspects !== undefined && !this.#reading) void this.#readBack(suspects);
  }

  #fail(key: string, pod: Pod, now: number): void {
    pod.lastFailure = now;
    pod.failing = true;
    const error = `[core] no heartbeat for ${now - pod.lastBeat} ms (ttl ${pod.ttl} ms)`;
    this.#o.onResult(key, { healthy: false, attempts: 1, durationMs: 0, error }, new Date(pod.lastBeat));
  }

  /** Cluster mode: a late pod may have sent its heartbeats to another replica; its relayed time is in the store. */
  async #readBack(suspects: Array<[string, Pod]>): Promise<void> {
    this.#reading = true;
    try {
      for (const [key, pod] of suspects) {
        let stored: number | undefined;
        try {
          stored = (await this.#o.cluster!.store.getService(key))?.lastHealthCheck.getTime();
        } catch (error) {
          this.#o.logger.warn({ err: error, key }, '[core] could not read a TTL pod back from the store; failing it on local knowledge');
        }
        if (this.#pods.get(key) !== pod) continue;
        if (stored !== undefined && stored > pod.lastBeat) {
          pod.lastBeat = stored;
          if ((pod.failing || this.#o.statusOf(key) !== 'healthy') && Date.now() - stored <= pod.ttl) {
            pod.failing = false;
            this.#o.onResult(key, { healthy: true, attempts: 1, durationMs: 0 }, new Date(stored));
          }
        }
        const now = Date.now();
        if (now - pod.lastBeat > pod.ttl && now - pod.lastFailure >= pod.ttl) this.#fail(key, pod, now);
      }
    } finally {
      this.#reading = false;
    }
  }

  async #flushRelay(): Promise<void> {
    const cluster = this.#o.cluster;
    if (cluster === undefined || this.#relay.size === 0) return;
    const times = this.#relay;
    this.#relay = new Map();
    try {
      await cluster.feed.flushHealthTimes(times);
    } catch (error) {
      for (const [key, at] of times) if (!this.#relay.has(key)) this.#relay.set(key, at);
      this.#o.logger.warn({ err: error, pods: times.size }, '[core] relaying heartbeats to the store failed; retried in a second');
    }
  }
}
