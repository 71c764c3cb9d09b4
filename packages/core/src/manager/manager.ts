import { EventEmitter } from 'eventemitter3';
import { ChangeApplier } from '../cluster/change-applier';
import { ClusterCoordinator, type ClusterStats } from '../cluster/coordinator';
import { SoleManagerGuard } from '../cluster/sole-manager-guard';
import { ManagerStoppedError, ValidationError } from '../errors';
import { cloneService, keyOf, sameRegistration, serviceKey, type ServiceInfo, type ServiceRegistration } from '../model';
import type { RegistryStore } from '../store';
import { createNotificationSigner } from '../security/notification-signer';
import { TargetPolicyGuard } from '../security/target-policy';
import { ValidatedRegistration } from '../validation';
import { StopDeadline, abortReason, untilAborted } from './abort';
import { checkManagerArguments } from './arguments';
import type { LaneItem, RegisterResult } from './batch-plan';
import { CommitEffects } from './commit-effects';
import { resolveManagerConfig, warnManagerTokensDeprecated, type ManagerConfig, type ManagerConfigInput } from './config';
import { pingWithin } from './deadline';
import { EventSink, type ManagerEvents } from './events';
import { GroupNotifications } from './group-notifications';
import { GroupWatchers, type WatchEvent, type WatchListener } from './group-watchers';
import { HealthChecker } from './health-checker';
import { HealthGate } from './health-gate';
import { HealthResults } from './health-results';
import { Lane } from './lane';
import { Notifier, type NotifierStats } from './notifier';
import { ProbeTracking } from './probe-tracking';
import { RegistryView } from './registry-view';
import { RevisionClock } from './revision';
import { SelfPreservation, type SelfPreservationState } from './self-preservation';
import { StoreWriter } from './store-writer';
import { TtlChecks } from './ttl-checks';
import { withStoreRetry } from './store-retry';

export type { CommitSummary, ManagerEvents, NotificationDelivery, NotificationFailure, RequestFailure } from './events';
export type { ClusterStats } from '../cluster/coordinator';
export type { SelfPreservationState } from './self-preservation';

/** A snapshot of the engine's load, from `manager.stats()`. */
export interface ManagerStats {
  queueDepth: number;
  queueCapacity: number;
  pods: { healthy: number; unhealthy: number; unknown: number; total: number };
  /** Delivery counters; `openCircuits`, `failingSubscribers` and `backlog` (the 10 largest per-subscriber backlogs) show unreachable subscribers. */
  deliveries: NotifierStats;
  probes: { inFlight: number; queued: number; tracked: number };
  /** Pull mode: SSE streams and blocking queries registered now, and `maxWatchers`. */
  watchers: { active: number; limit: number };
  /** Self-preservation: whether `deregisterAfter` is paused now, the unhealthy share and the settings. */
  selfPreservation: SelfPreservationState;
  /** Cluster mode (docs/cluster.md): this replica's membership and share; absent otherwise. */
  cluster?: ClusterStats;
}

/** What `manager.checkHealth()` reports (the `/health` endpoint answers 503 unless `healthy`). */
export interface ManagerHealth {
  healthy: boolean;
  /** The store answers but writes are stuck: the oldest one waited longer than `healthMaxWriteWait`. */
  degraded?: boolean;
  /** Why not healthy, when that is not the store (not running, cluster lease lost, log unreadable). */
  reason?: string;
  store: { ok: boolean; error?: string };
  cluster?: ClusterStats;
  /** Present while self-preservation pauses `deregisterAfter` (the manager is still healthy). */
  selfPreservation?: SelfPreservationState;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The registry engine. Registrations, unregistrations and health results pass through one
 * ordered lane and are written to the store in group commits; a caller's promise resolves only
 * once the store has applied its change. Reads are answered from an in-memory view that equals
 * the store. Health checks and notification deliveries run in their own bounded pools and never
 * block the lane.
 *
 * ```ts
 * await using manager = new Manager({ healthCheckInterval: '10s' }, new MemoryStore());
 * await manager.start();
 * await manager.register(registration);
 * // stop() runs when `manager` goes out of scope (or call it yourself)
 * ```
 */
export class Manager extends EventEmitter<ManagerEvents> {
  /** The resolved configuration (durations in ms). */
  readonly config: Readonly<ManagerConfig>;
  readonly #store: RegistryStore;
  readonly #view = new RegistryView();
  readonly #events: EventSink;
  readonly #lane: Lane<LaneItem>;
  readonly #checker: HealthChecker;
  readonly #probes: ProbeTracking;
  readonly #effects: CommitEffects;
  readonly #notifier: Notifier;
  readonly #guard: TargetPolicyGuard;
  readonly #clock = new RevisionClock();
  readonly #outbox: GroupNotifications;
  readonly #watchers: GroupWatchers;
  readonly #preservation: SelfPreservation;
  readonly #ttl: TtlChecks;
  /** One manager: the revision every group has at least (a clock value taken at start, so it grows across restarts). */
  #revisionFloor = 0;
  #state: State = 'idle';
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #reconcileTimer: ReturnType<typeof setInterval> | undefined;
  /** Cluster mode: membership, ownership and the change tail (docs/cluster.md). */
  readonly #cluster: ClusterCoordinator | undefined;
  /** A store that allows one manager only (membership without a change feed). */
  readonly #sole: SoleManagerGuard | undefined;

  /**
   * @param config settings; every one is optional (see `DEFAULT_MANAGER_CONFIG`).
   * @param store where pods and subscriptions are kept; the manager closes it on `stop()`.
   * @throws ValidationError naming the bad setting (or a hint when the arguments are swapped).
   */
  constructor(config: ManagerConfigInput, store: RegistryStore) {
    super();
    checkManagerArguments(config, store);
    this.config = resolveManagerConfig(config);
    this.#store = store;
    const c = this.config;
    if (c.tokens.length > 0) warnManagerTokensDeprecated(c.logger);
    this.#events = new EventSink(this, c.logger);
    this.#guard = new TargetPolicyGuard(c.targetPolicy);
    const { membership, changeFeed } = store;
    if (c.cluster === 'auto' && membership !== undefined && changeFeed !== undefined) {
      this.#cluster = new ClusterCoordinator(
        { membership, changeFeed },
        {
          leaseMs: c.clusterLease,
          pollIntervalMs: c.clusterPollInterval,
          logRetentionMs: c.clusterLogRetention,
          healthFlushIntervalMs: c.healthFlushInterval,
        },
        c.logger,
        this.#view,
      );
    } else if (c.cluster === 'auto' && membership !== undefined) {
      this.#sole = new SoleManagerGuard(membership, store.name, c.clusterLease, c.logger);
    }
    const cluster = this.#cluster;
    const owns = cluster === undefined ? undefined : (key: string): boolean => cluster.owns(key);
    this.#notifier = new Notifier({
      timeoutMs: c.notificationTimeout,
      retries: c.notificationRetries,
      concurrency: c.notificationConcurrency,
      logger: c.logger,
      sign: c.notificationSecret === undefined ? undefined : createNotificationSigner(c.notificationSecret),
      guard: this.#guard,
      mayDeliver: owns,
      perSubscriber: c.notificationSubscriberConcurrency,
      circuitThreshold: c.notificationCircuitThreshold,
      circuitMaxMs: c.notificationCircuitMaxBackoff,
      responseBodyLimit: c.responseBodyLimit,
      onUnreachable: (info) => this.#events.emit('subscriberUnreachable', info),
      onRecovered: (info) => this.#events.emit('subscriberRecovered', info),
      onFailed: (target, meta, error, durationMs) =>
        this.#events.emit('notificationFailed', {
          subscriberKey: target.subscriberKey,
          url: target.url,
          group: meta.group,
          revision: meta.revision,
          error,
          durationMs,
        }),
      onDelivered: (target, meta, detail) =>
        this.#events.emit('notificationDelivered', {
          subscriberKey: target.subscriberKey,
          url: target.url,
          group: meta.group,
          revision: meta.revision,
          ...detail,
        }),
    });
    const view = this.#view;
    this.#watchers = new GroupWatchers(c.maxWatchers);
    this.#outbox = new GroupNotifications(
      view,
      this.#notifier,
      cluster === undefined ? (group, change) => this.#nextRevision(group, change) : (group) => view.revisionOf(group),
      c.wireProfile,
      owns,
      this.#watchers,
    );
    const writer = new StoreWriter({
      store,
      view: this.#view,
      retry: c.storeRetry,
      logger: c.logger,
      events: this.#events,
      committed: cluster === undefined ? (plan) => this.#effects.apply(plan) : (plan) => this.#effects.settle(plan),
      logged: cluster === undefined ? undefined : { feed: changeFeed!, tail: () => cluster.tail },
      reconcile: (keys) => this.#reread(keys),
    });
    this.#lane = new Lane<LaneItem>({
      capacity: c.eventQueueSize,
      maxBatchSize: c.maxBatchSize,
      process: (batch) => writer.process(batch),
      onError: (error) => this.#events.reportError(error, 'the ordered lane failed'),
    });
    const gate = new HealthGate(c);
    this.#preservation = new SelfPreservation(
      { threshold: c.selfPreservationThreshold, minPods: c.selfPreservationMinPods },
      this.#view,
      this.#events,
    );
    const results = new HealthResults({
      view: this.#view,
      gate: gate.passthrough ? undefined : gate,
      lane: this.#lane,
      events: this.#events,
      logger: c.logger,
      isRunning: () => this.#state === 'running',
      preservation: c.deregisterAfter > 0 && c.selfPreservationThreshold > 0 ? this.#preservation : undefined,
      cluster: cluster === undefined ? undefined : { owns: owns!, noteCheckTime: (key, at) => cluster.noteCheckTime(key, at) },
    });
    this.#checker = new HealthChecker({
      intervalMs: c.healthCheckInterval,
      timeoutMs: c.healthCheckTimeout,
      retries: c.healthCheckRetry,
      concurrency: c.probeConcurrency,
      logger: c.logger,
      onResult: (key, result) => results.onResult(key, result),
      guard: this.#guard,
      mayStart: owns,
      bodyLimit: c.responseBodyLimit,
    });
    this.#ttl = new TtlChecks({
      onResult: (key, result, at) => results.onResult(key, result, at),
      statusOf: (key) => view.get(key)?.status,
      logger: c.logger,
      cluster: cluster === undefined ? undefined : { owns: owns!, feed: changeFeed!, store },
    });
    this.#probes = new ProbeTracking(this.#checker, gate.passthrough ? undefined : gate, (key) => this.#lane.dropKeyed(key), this.#ttl);
    this.#effects = new CommitEffects(this.#view, this.#probes, this.#outbox, this.#events);
    cluster?.attach(new ChangeApplier(view, this.#probes, this.#outbox, this.#events, cluster.tracked), {
      acquiredPods: (keys) => this.#probes.acquired(podsOf(view, keys), keyOf),
      acquiredSubscribers: (keys) => this.#outbox.reconcileSubscribers(keys),
      releasedSubscribers: (keys) => this.#notifier.forget(keys),
    });
  }

  /** True between a completed `start()` and the beginning of `stop()`. */
  get isRunning(): boolean {
    return this.#state === 'running';
  }

  /**
   * Loads every pod from the store, resumes their health checks (spread over the interval),
   * starts the periodic reconcile and sends one right away. Idempotent; concurrent calls share
   * one promise. Rejects with the store's error if loading fails (and may then be retried).
   * An aborted `signal` rejects with its reason; if it belongs to the call that began the start,
   * the start is abandoned (the manager stays not started and `start()` may be called again).
   */
  start(options?: { signal?: AbortSignal }): Promise<void> {
    const signal = options?.signal;
    if (this.#stopPromise !== undefined) {
      return Promise.reject(new ManagerStoppedError('this manager was stopped; create a new Manager to start again'));
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#startPromise !== undefined) return untilAborted(this.#startPromise, signal);
    this.#startPromise = this.#start(signal).catch((error: unknown) => {
      this.#startPromise = undefined;
      if (this.#state === 'starting') this.#state = 'idle';
      throw error;
    });
    return this.#startPromise;
  }

  async #start(signal: AbortSignal | undefined): Promise<void> {
    this.#state = 'starting';
    const cluster = this.#cluster;
    let services: ServiceInfo[];
    if (cluster !== undefined) {
      const snapshot = await withStoreRetry(() => cluster.join(), this.config.storeRetry, signal);
      if (this.#state !== 'starting') return void (await cluster.stop());
      if (signal?.aborted) {
        await cluster.stop();
        throw abortReason(signal);
      }
      services = snapshot.services;
      this.#load(services);
      await cluster.follow(snapshot);
    } else {
      await this.#sole?.start();
      const load = withStoreRetry(() => this.#store.getAllServices({ signal }), this.config.storeRetry, signal);
      services = await untilAborted(load, signal).catch(async (error: unknown) => {
        await this.#sole?.stop();
        throw error;
      });
      if (this.#state !== 'starting') return;
      this.#load(services);
    }
    this.#checker.start();
    this.#ttl.start();
    this.#reconcileTimer = setInterval(() => this.#reconcile(), this.config.notificationInterval);
    this.#reconcileTimer.unref?.();
    this.#state = 'running';
    this.config.logger.info({ pods: services.length, store: this.#store.name }, '[core] manager started');
    this.#reconcile();
  }

  /** After a failed write whose outcome is unknown: the view of these keys takes what the store holds. */
  async #reread(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const stored = await this.#store.getService(key);
      const current = this.#view.get(key);
      if (stored === undefined) {
        if (current === undefined) continue;
        this.#view.delete(key);
        this.#probes.removed(key);
      } else if (current === undefined || !sameRegistration(current, stored) || current.status !== stored.status) {
        this.#view.set(stored);
        this.#probes.changed(key, current, stored);
      } else {
        continue;
      }
      this.config.logger.warn({ key, stored: stored !== undefined }, '[core] a failed write was applied after all (or not): the view follows the store');
    }
  }

  #load(services: ServiceInfo[]): void {
    if (this.#cluster === undefined) this.#revisionFloor = this.#clock.next();
    this.#view.clear();
    for (const service of services) this.#view.set(service);
    this.#probes.load(services, keyOf);
  }

  /**
   * Stops timers and intake (later calls get `ManagerStoppedError`), applies the changes already
   * queued, waits for in-flight health checks and deliveries up to `timeoutMs` (default
   * `config.stopTimeout`) and aborts what is left, then closes the store. An aborted `signal`
   * ends the waiting at once (what is left is aborted, the store still closed). Idempotent.
   */
  stop(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void> {
    this.#stopPromise ??= this.#stop(options?.timeoutMs ?? this.config.stopTimeout, options?.signal);
    return this.#stopPromise;
  }

  /** `await using manager = new Manager(…)`: stops the manager (and closes its store) at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#startPromise !== undefined) await this.#startPromise.catch(() => undefined);
    const deadline = new StopDeadline(timeoutMs, signal);
    const left = (): number => deadline.left();
    this.#state = 'stopping';
    if (this.#reconcileTimer !== undefined) clearInterval(this.#reconcileTimer);
    this.#reconcileTimer = undefined;
    this.#lane.close();
    const drained = await deadline.within(this.#lane.drain());
    if (!drained) {
      for (const item of this.#lane.discard()) {
        if (item.kind !== 'health') item.reject(new ManagerStoppedError('the manager stopped before this change was applied'));
      }
    }
    this.#watchers.endAll();
    await this.#ttl.stop();
    // Leave at once: the others take this replica's pods and subscribers over now (and reconcile them).
    await this.#cluster?.stop();
    await this.#sole?.stop();
    await Promise.all([this.#checker.stop(left(), signal), deadline.within(this.#notifier.idle())]);
    await this.#notifier.stop(left(), signal);
    try {
      await this.#store.close();
    } catch (error) {
      this.config.logger.warn({ err: error }, '[core] closing the store failed');
    }
    this.#state = 'stopped';
    this.config.logger.info({}, '[core] manager stopped');
  }

  /**
   * Registers a pod, or updates it when its content changed (status and `registeredAt` are
   * kept, subscriptions replaced). Resolves once the store has applied the change.
   * Identical content changes nothing and notifies nobody (`outcome: 'unchanged'`).
   * Subscribers of the pod's group are sent `register`; a group the pod newly subscribes to is
   * sent to the pod right away (`reconcile`), so it need not wait for the periodic reconcile.
   * @throws ValidationError (camelCase field paths; also when `targetPolicy` refuses a URL),
   *   QueueFullError, StoreError, ManagerStoppedError
   */
  register(registration: ServiceRegistration): Promise<RegisterResult> {
    try {
      this.#assertRunning();
      return this.registerValidated(ValidatedRegistration.fromModel(registration));
    } catch (error) {
      this.#failing('register', () => undefined)(error);
      return Promise.reject(error);
    }
  }

  /**
   * {@link register} for a registration that was validated already (the HTTP transport's
   * hand-off, from `ValidatedRegistration.fromWire`): it is not validated again. Errors name
   * fields in the registration's own vocabulary (`notification_url` for one that came from the
   * wire).
   * @throws ValidationError (the target policy refused a URL), QueueFullError, StoreError,
   *   ManagerStoppedError
   */
  registerValidated(validated: ValidatedRegistration): Promise<RegisterResult> {
    try {
      this.#assertRunning();
      if (!(validated instanceof ValidatedRegistration)) {
        throw new TypeError('[core] registerValidated() takes a ValidatedRegistration; use register() for a plain registration');
      }
      const { registration, targets } = validated;
      const refused = this.#guard.registrationProblems(registration, targets, (field) => validated.pathOf(field));
      if (refused.length > 0) throw new ValidationError(refused, { context: 'registration' });
      return new Promise<RegisterResult>((resolve, reject) => {
        this.#lane.push({ kind: 'register', registration, resolve, reject: this.#failing('register', reject) });
      });
    } catch (error) {
      this.#failing('register', () => undefined)(error);
      return Promise.reject(error);
    }
  }

  /**
   * Removes a pod and its subscriptions, and tells its group's subscribers.
   * @returns false when no such pod is registered.
   * @throws ValidationError, QueueFullError, StoreError, ManagerStoppedError
   */
  unregister(serviceName: string, podName: string): Promise<boolean> {
    try {
      this.#assertRunning();
      const errors = [];
      if (typeof serviceName !== 'string' || serviceName === '') errors.push({ path: 'serviceName', message: 'must be a non-empty string' });
      if (typeof podName !== 'string' || podName === '') errors.push({ path: 'podName', message: 'must be a non-empty string' });
      if (errors.length > 0) throw new ValidationError(errors, { context: 'unregister request' });
      const key = serviceKey(serviceName, podName);
      return new Promise<boolean>((resolve, reject) => {
        this.#lane.push({ kind: 'unregister', key, resolve, reject: this.#failing('unregister', reject) });
      });
    } catch (error) {
      this.#failing('unregister', () => undefined)(error);
      return Promise.reject(error);
    }
  }

  /**
   * A heartbeat of a pod registered with a `ttl` (TTL check): the pod is alive now. Cheap (no
   * store write, nothing queued) unless it changes the pod's status. In cluster mode any replica
   * accepts it (see the README's "TTL checks").
   * @returns `'ok'`, `'unknown'` (no such pod) or `'no-ttl'` (the pod is probed through its health URL).
   * @throws ValidationError (empty names), ManagerStoppedError
   */
  heartbeat(serviceName: string, podName: string): 'ok' | 'unknown' | 'no-ttl' {
    this.#assertRunning();
    if (typeof serviceName !== 'string' || serviceName === '' || typeof podName !== 'string' || podName === '') {
      const errors = [];
      if (typeof serviceName !== 'string' || serviceName === '') errors.push({ path: 'serviceName', message: 'must be a non-empty string' });
      if (typeof podName !== 'string' || podName === '') errors.push({ path: 'podName', message: 'must be a non-empty string' });
      throw new ValidationError(errors, { context: 'heartbeat' });
    }
    const key = serviceKey(serviceName, podName);
    if (this.#ttl.beat(key)) return 'ok';
    return this.#view.has(key) ? 'no-ttl' : 'unknown';
  }

  /** The pod with this key (`serviceName:podName`), or `undefined`. */
  async getService(key: string): Promise<ServiceInfo | undefined> {
    const found = this.#view.get(key);
    return found === undefined ? undefined : cloneService(found);
  }

  /** Every pod of one service group. */
  async getServicePods(serviceName: string): Promise<ServiceInfo[]> {
    return this.#view.podsOf(serviceName).map(cloneService);
  }

  /** Every pod, grouped by service name. */
  async getAllServicePods(): Promise<Map<string, ServiceInfo[]>> {
    return this.#view.snapshotByGroup();
  }

  /** Pods per status of every service group, without copying the pods (for metrics). */
  podCountsByService(): Map<string, { healthy: number; unhealthy: number; unknown: number }> {
    return this.#view.countsByGroup();
  }

  /** Every registered pod. */
  async listServices(): Promise<ServiceInfo[]> {
    const out: ServiceInfo[] = [];
    for (const service of this.#view.values()) out.push(cloneService(service));
    return out;
  }

  /**
   * Whether the manager runs, its store answers and (cluster mode) this replica holds a valid
   * lease and reads the change log — for a `/health` endpoint, which answers 503 otherwise.
   */
  async checkHealth(): Promise<ManagerHealth> {
    const cluster = this.#cluster?.stats();
    try {
      await pingWithin(this.#store, HEALTH_PING_TIMEOUT_MS);
    } catch (error) {
      return { healthy: false, store: { ok: false, error: error instanceof Error ? error.message : String(error) }, cluster };
    }
    if (!this.isRunning) return { healthy: false, reason: '[core] the manager is not running', store: { ok: true }, cluster };
    const waited = Math.round(this.#lane.oldestWaitMs());
    if (waited > this.config.healthMaxWriteWait) {
      const reason = `[core] writes are stuck: the oldest pending change has waited ${waited} ms (healthMaxWriteWait ${this.config.healthMaxWriteWait} ms)`;
      return { healthy: false, degraded: true, reason, store: { ok: true }, cluster };
    }
    const readiness = this.#cluster?.readiness();
    if (readiness !== undefined && !readiness.ready) return { healthy: false, reason: `[core] ${readiness.reason}`, store: { ok: true }, cluster };
    const preserving = this.#preservation.active ? { selfPreservation: this.#preservation.state() } : {};
    return { healthy: true, store: { ok: true }, cluster, ...preserving };
  }

  /**
   * Liveness (`GET /health/live`): false only when restarting the process is the fix — the
   * manager was stopped or never started. A stuck store, a lost cluster lease or stuck writes
   * make it not ready (`checkHealth()`), not dead.
   */
  checkLiveness(): { live: boolean; reason?: string } {
    if (this.#state === 'running' || this.#state === 'starting') return { live: true };
    return { live: false, reason: `[core] the manager is ${this.#state === 'idle' ? 'not started' : this.#state}` };
  }

  /** Queue depth, pods by status, delivery and probe counters. */
  stats(): ManagerStats {
    return {
      queueDepth: this.#lane.depth,
      queueCapacity: this.config.eventQueueSize,
      pods: this.#view.counts(),
      deliveries: this.#notifier.stats(),
      probes: this.#checker.stats(),
      watchers: { active: this.#watchers.size, limit: this.#watchers.limit },
      selfPreservation: this.#preservation.state(),
      ...(this.#cluster === undefined ? {} : { cluster: this.#cluster.stats() }),
    };
  }

  /**
   * Health-checks every pod now instead of at its turn in the interval (a pod whose check is
   * already running is not checked twice) and resolves once all these checks are done; their
   * results go through the ordered lane as usual. For an operator's "re-check everything" after
   * an incident, and for tests that must not wait an interval.
   * @throws ManagerStoppedError when the manager is not running
   */
  checkNow(): Promise<void> {
    try {
      this.#assertRunning();
      return this.#checker.sweep();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The revision of a service group: it grows with every change of the group's pods (and across
   * restarts), and is what notifications, watch events (`id:`) and blocking queries carry. A
   * group that never changed has the revision the manager started with (one manager) or 0
   * (cluster mode, where revisions are change-log positions shared by every replica).
   */
  revisionOf(serviceName: string): number {
    const revision = this.#view.revisionOf(serviceName);
    return revision > this.#revisionFloor ? revision : this.#revisionFloor;
  }

  /**
   * Watches service groups (pull mode). `listener` is first called, synchronously and before
   * this returns, with the current state of each group in revision order (`event_type:
   * 'reconcile'`) — only the groups whose revision is `after` or more when `after` is given
   * (resuming: revisions are ordered across groups, so these are the groups that may have
   * changed since), none when `initial` is false — and then with every change of these groups,
   * in order. `onEnd` is called when the manager stops. Returns the function that stops watching.
   * @throws WatchLimitError beyond `maxWatchers`, ManagerStoppedError, ValidationError
   */
  watch(
    serviceNames: readonly string[],
    listener: WatchListener,
    options: { after?: number; initial?: boolean; onEnd?: () => void } = {},
  ): () => void {
    this.#assertRunning();
    const problems = serviceNames.length === 0 ? [{ path: 'serviceNames', message: 'must name at least one service' }] : [];
    if (problems.length > 0) throw new ValidationError(problems, { context: 'watch' });
    const groups = [...new Set(serviceNames)];
    const remove = this.#watchers.add(groups, listener, options.onEnd);
    if (options.initial === false) return remove;
    const { after } = options;
    const current: WatchEvent[] = [];
    for (const group of groups) {
      const revision = this.revisionOf(group);
      if (after !== undefined && revision < after) continue;
      current.push({ group, revision, eventType: 'reconcile', data: this.#outbox.payloadOf(group, 'reconcile', revision) });
    }
    current.sort((a, b) => a.revision - b.revision);
    for (const event of current) listener(event);
    return remove;
  }

  /** One manager: each change takes the next clock value, which becomes the group's revision. */
  #nextRevision(group: string, change: boolean): number {
    const revision = this.#clock.next();
    if (change) this.#view.setRevision(group, revision);
    return revision;
  }

  #assertRunning(): void {
    if (this.#state === 'running') return;
    if (this.#state === 'idle' || this.#state === 'starting') {
      throw new ManagerStoppedError('the manager is not running yet; await manager.start() first');
    }
    throw new ManagerStoppedError('the manager is stopped; create and start a new Manager');
  }

  /** `reject`, after telling `requestFailed` listeners (the metrics) about the error. */
  #failing(operation: 'register' | 'unregister', reject: (error: unknown) => void): (error: unknown) => void {
    return (error) => {
      this.#events.emit('requestFailed', { operation, error: error instanceof Error ? error : new Error(String(error)) });
      reject(error);
    };
  }

  #reconcile(): void {
    if (this.#state !== 'running') return;
    this.#events.emit('reconciled', this.#outbox.reconcileAll());
  }
}

function* podsOf(view: RegistryView, keys: readonly string[]): Generator<ServiceInfo> {
  for (const key of keys) {
    const service = view.get(key);
    if (service !== undefined) yield service;
  }
}

/** How long `checkHealth()` waits for the store's ping: a black-holed database must not hang `/health`. */
const HEALTH_PING_TIMEOUT_MS = 3_000;
