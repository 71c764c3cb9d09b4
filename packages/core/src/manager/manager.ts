import { EventEmitter } from 'eventemitter3';
import { ManagerStoppedError, StoreError, ValidationError } from '../errors';
import { cloneService, keyOf, serviceKey, type EventType, type ServiceInfo, type ServiceRegistration, type ServiceStatus } from '../model';
import { applyMutationsSequentially, type RegistryStore, type StoreMutation } from '../store';
import { createNotificationSigner } from '../security/notification-signer';
import { TargetPolicyGuard } from '../security/target-policy';
import { ValidatedRegistration } from '../validation';
import { planBatch, type LaneItem, type PlannedChange, type RegisterResult } from './batch-plan';
import { resolveManagerConfig, warnManagerTokensDeprecated, type ManagerConfig, type ManagerConfigInput } from './config';
import { GroupNotifications } from './group-notifications';
import { HealthChecker, type ProbeResult } from './health-checker';
import { HealthGate } from './health-gate';
import { Lane } from './lane';
import { Notifier, type DeliveryTarget } from './notifier';
import { RegistryView } from './registry-view';
import { RevisionClock } from './revision';
import { withStoreRetry } from './store-retry';

/** A notification that could not be delivered after its last retry. */
export interface NotificationFailure {
  subscriberKey: string;
  url: string;
  group: string;
  revision: number;
  error: Error;
}

/** Events the manager emits (EventEmitter3). A throwing listener never breaks the engine. */
export interface ManagerEvents {
  /** A pod was registered (`created`/`updated`) or re-registered unchanged. */
  registered: (service: ServiceInfo, outcome: RegisterResult['outcome']) => void;
  unregistered: (service: ServiceInfo) => void;
  /**
   * A pod that stayed unhealthy for `deregisterAfter` was removed (after its 'unregistered'
   * event; its group's subscribers got an `unregister` notification).
   */
  deregistered: (service: ServiceInfo, detail: { unhealthyForMs: number }) => void;
  /** A health check changed a pod's status. */
  statusChanged: (service: ServiceInfo, previous: ServiceStatus) => void;
  notificationFailed: (failure: NotificationFailure) => void;
  /** A health check found the pod unhealthy (after its retries). */
  healthCheckFailed: (key: string, result: ProbeResult) => void;
  /** A periodic reconcile was sent: `groups` subscribed groups, `deliveries` targets in all. */
  reconciled: (summary: { groups: number; deliveries: number }) => void;
  /** Something went wrong outside any caller's request (a background store write, a listener). */
  error: (error: Error) => void;
}

/** A snapshot of the engine's load, from `manager.stats()`. */
export interface ManagerStats {
  queueDepth: number;
  queueCapacity: number;
  pods: { healthy: number; unhealthy: number; unknown: number; total: number };
  deliveries: { pending: number; inFlight: number; delivered: number; failed: number; superseded: number };
  probes: { inFlight: number; queued: number; tracked: number };
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
 * const manager = new Manager({ healthCheckInterval: 10_000 }, new MemoryStore());
 * await manager.start();
 * await manager.register(registration);
 * await manager.stop();
 * ```
 */
export class Manager extends EventEmitter<ManagerEvents> {
  /** The resolved configuration (durations in ms). */
  readonly config: Readonly<ManagerConfig>;
  readonly #store: RegistryStore;
  readonly #view = new RegistryView();
  readonly #lane: Lane<LaneItem>;
  readonly #checker: HealthChecker;
  readonly #gate: HealthGate | undefined;
  readonly #notifier: Notifier;
  readonly #guard: TargetPolicyGuard;
  readonly #clock = new RevisionClock();
  readonly #outbox: GroupNotifications;
  #state: State = 'idle';
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #reconcileTimer: ReturnType<typeof setInterval> | undefined;
  #lastResultAt: Date | undefined;

  /**
   * @param config settings; every one is optional (see `DEFAULT_MANAGER_CONFIG`).
   * @param store where pods and subscriptions are kept; the manager closes it on `stop()`.
   * @throws ValidationError naming the bad setting.
   */
  constructor(config: ManagerConfigInput, store: RegistryStore) {
    super();
    this.config = resolveManagerConfig(config);
    if (store === null || typeof store !== 'object' || typeof store.saveService !== 'function') {
      throw new ValidationError([{ path: 'store', message: 'a RegistryStore (for example new MemoryStore()) is required' }], {
        context: 'Manager arguments',
      });
    }
    this.#store = store;
    const c = this.config;
    if (c.tokens.length > 0) warnManagerTokensDeprecated(c.logger);
    this.#guard = new TargetPolicyGuard(c.targetPolicy);
    this.#lane = new Lane<LaneItem>({
      capacity: c.eventQueueSize,
      maxBatchSize: c.maxBatchSize,
      process: (batch) => this.#process(batch),
      onError: (error) => this.#reportError(error, 'the ordered lane failed'),
    });
    this.#checker = new HealthChecker({
      intervalMs: c.healthCheckInterval,
      timeoutMs: c.healthCheckTimeout,
      retries: c.healthCheckRetry,
      concurrency: c.probeConcurrency,
      logger: c.logger,
      onResult: (key, result) => this.#onProbeResult(key, result),
      guard: this.#guard,
    });
    const gate = new HealthGate(c);
    this.#gate = gate.passthrough ? undefined : gate;
    this.#notifier = new Notifier({
      timeoutMs: c.notificationTimeout,
      retries: c.notificationRetries,
      concurrency: c.notificationConcurrency,
      logger: c.logger,
      sign: c.notificationSecret === undefined ? undefined : createNotificationSigner(c.notificationSecret),
      guard: this.#guard,
      onFailed: (target, meta, error) =>
        this.#emit('notificationFailed', {
          subscriberKey: target.subscriberKey,
          url: target.url,
          group: meta.group,
          revision: meta.revision,
          error,
        }),
    });
    this.#outbox = new GroupNotifications(this.#view, this.#notifier, this.#clock);
  }

  /** True between a completed `start()` and the beginning of `stop()`. */
  get isRunning(): boolean {
    return this.#state === 'running';
  }

  /**
   * Loads every pod from the store, resumes their health checks (spread over the interval),
   * starts the periodic reconcile and sends one right away. Idempotent; concurrent calls share
   * one promise. Rejects with the store's error if loading fails (and may then be retried).
   */
  start(): Promise<void> {
    if (this.#stopPromise !== undefined) {
      return Promise.reject(new ManagerStoppedError('this manager was stopped; create a new Manager to start again'));
    }
    if (this.#startPromise !== undefined) return this.#startPromise;
    this.#startPromise = this.#start().catch((error: unknown) => {
      this.#startPromise = undefined;
      if (this.#state === 'starting') this.#state = 'idle';
      throw error;
    });
    return this.#startPromise;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    const services = await withStoreRetry(() => this.#store.getAllServices(), this.config.storeRetry);
    if (this.#state !== 'starting') return;
    this.#view.clear();
    for (const service of services) this.#view.set(service);
    for (const service of services) this.#checker.track(keyOf(service), service.healthCheckUrl);
    this.#checker.start();
    this.#reconcileTimer = setInterval(() => this.#reconcile(), this.config.notificationInterval);
    this.#reconcileTimer.unref?.();
    this.#state = 'running';
    this.config.logger.info({ pods: services.length, store: this.#store.name }, '[core] manager started');
    this.#reconcile();
  }

  /**
   * Stops timers and intake (later calls get `ManagerStoppedError`), applies the changes already
   * queued, waits for in-flight health checks and deliveries up to `timeoutMs` (default
   * `config.stopTimeout`) and aborts what is left, then closes the store. Idempotent.
   */
  stop(options?: { timeoutMs?: number }): Promise<void> {
    this.#stopPromise ??= this.#stop(options?.timeoutMs ?? this.config.stopTimeout);
    return this.#stopPromise;
  }

  async #stop(timeoutMs: number): Promise<void> {
    if (this.#startPromise !== undefined) await this.#startPromise.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    this.#state = 'stopping';
    if (this.#reconcileTimer !== undefined) clearInterval(this.#reconcileTimer);
    this.#reconcileTimer = undefined;
    this.#lane.close();
    const drained = await withDeadline(this.#lane.drain(), left());
    if (!drained) {
      for (const item of this.#lane.discard()) {
        if (item.kind !== 'health') item.reject(new ManagerStoppedError('the manager stopped before this change was applied'));
      }
    }
    await Promise.all([this.#checker.stop(left()), withDeadline(this.#notifier.idle(), left())]);
    await this.#notifier.stop(left());
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
        this.#lane.push({ kind: 'register', registration, resolve, reject });
      });
    } catch (error) {
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
        this.#lane.push({ kind: 'unregister', key, resolve, reject });
      });
    } catch (error) {
      return Promise.reject(error);
    }
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

  /** Every registered pod. */
  async listServices(): Promise<ServiceInfo[]> {
    const out: ServiceInfo[] = [];
    for (const service of this.#view.values()) out.push(cloneService(service));
    return out;
  }

  /** Whether the manager runs and its store answers (for a `/health` endpoint). */
  async checkHealth(): Promise<{ healthy: boolean; store: { ok: boolean; error?: string } }> {
    try {
      await pingWithin(this.#store, HEALTH_PING_TIMEOUT_MS);
      return { healthy: this.isRunning, store: { ok: true } };
    } catch (error) {
      return { healthy: false, store: { ok: false, error: error instanceof Error ? error.message : String(error) } };
    }
  }

  /** Queue depth, pods by status, delivery and probe counters. */
  stats(): ManagerStats {
    return {
      queueDepth: this.#lane.depth,
      queueCapacity: this.config.eventQueueSize,
      pods: this.#view.counts(),
      deliveries: this.#notifier.stats(),
      probes: this.#checker.stats(),
    };
  }

  /** @internal For benchmarks and tests: the engine's parts. Not a stable API. */
  _internals(): { healthChecker: HealthChecker; notifier: Notifier; clock: RevisionClock } {
    return { healthChecker: this.#checker, notifier: this.#notifier, clock: this.#clock };
  }

  #assertRunning(): void {
    if (this.#state === 'running') return;
    if (this.#state === 'idle' || this.#state === 'starting') {
      throw new ManagerStoppedError('the manager is not running yet; await manager.start() first');
    }
    throw new ManagerStoppedError('the manager is stopped; create and start a new Manager');
  }

  #onProbeResult(key: string, result: ProbeResult): void {
    if (!result.healthy) this.#emit('healthCheckFailed', key, result);
    const at = this.#resultTime();
    let healthy = result.healthy;
    if (this.#gate !== undefined) {
      const current = this.#view.get(key);
      if (current === undefined) return;
      const verdict = this.#gate.observe(key, healthy, current.status, at.getTime());
      if (verdict.deregister && this.#deregister(key, verdict.unhealthyForMs)) return;
      healthy = verdict.status === 'healthy';
    }
    this.#lane.pushKeyed(key, { kind: 'health', key, healthy, at });
  }

  /** One Date per millisecond, shared by the results that arrive in it (records never mutate dates). */
  #resultTime(): Date {
    const ms = Date.now();
    if (this.#lastResultAt === undefined || this.#lastResultAt.getTime() !== ms) this.#lastResultAt = new Date(ms);
    return this.#lastResultAt;
  }

  /** Removes a pod that stayed unhealthy too long, through the lane like an unregister. */
  #deregister(key: string, unhealthyForMs: number): boolean {
    const service = this.#view.get(key);
    if (service === undefined || this.#state !== 'running') return false;
    const settled = (found: boolean): void => {
      if (!found) return;
      this.config.logger.info({ key, unhealthyForMs }, '[core] deregistered a pod that stayed unhealthy');
      this.#emit('deregistered', service, { unhealthyForMs });
    };
    try {
      this.#lane.push({
        kind: 'unregister',
        key,
        resolve: settled,
        reject: (error: unknown) => this.#reportError(error, `deregistering ${key} failed; retried at its next check`),
      });
      return true;
    } catch (error) {
      this.config.logger.warn({ err: error, key }, '[core] could not queue a deregistration; retried at the next check');
      return false;
    }
  }

  async #process(batch: LaneItem[], attempt: 'first' | 'fallback' = 'first'): Promise<void> {
    const plan = planBatch(batch, this.#view, new Date());
    const mutations: StoreMutation[] = [];
    for (const change of plan) if (change.mutation !== undefined) mutations.push(change.mutation);
    if (mutations.length > 0) {
      try {
        const write = (): Promise<unknown> =>
          this.#store.applyBatch !== undefined
            ? this.#store.applyBatch(mutations)
            : applyMutationsSequentially(this.#store, mutations);
        await (attempt === 'first' ? withStoreRetry(write, this.config.storeRetry) : write());
      } catch (error) {
        if (attempt === 'first' && batch.length > 1) await this.#fallBack(batch);
        else this.#fail(plan, error);
        return;
      }
    }
    this.#commit(plan);
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

  #fail(plan: PlannedChange[], error: unknown): void {
    const storeError =
      error instanceof StoreError
        ? error
        : new StoreError(this.#store.name, 'applyBatch', error instanceof Error ? error.message : String(error), { cause: error });
    let lostResults = 0;
    for (const { item, mutation } of plan) {
      if (item.kind !== 'health') item.reject(storeError);
      else if (mutation !== undefined) lostResults++;
    }
    if (lostResults > 0) {
      this.config.logger.warn({ err: storeError, results: lostResults }, '[core] could not store health results; the pods are checked again at the next interval');
      this.#reportError(storeError, `storing ${lostResults} health results failed`);
    }
  }

  #commit(plan: PlannedChange[]): void {
    const groups = new Map<string, EventType>();
    const joined = new Map<string, DeliveryTarget[]>();
    for (const change of plan) {
      const { item, key, before, after } = change;
      if (after === null) this.#view.delete(key);
      else if (after !== undefined) this.#view.set(after);

      if (item.kind === 'register') {
        const current = this.#view.get(key)!;
        if (change.outcome !== 'unchanged') {
          if (before === undefined || before.healthCheckUrl !== current.healthCheckUrl) {
            this.#lane.dropKeyed(key);
            this.#checker.track(key, current.healthCheckUrl, { immediate: true });
          }
          groups.set(current.serviceName, 'register');
          for (const group of current.subscriptions) {
            if (before !== undefined && before.subscriptions.includes(group)) continue;
            let targets = joined.get(group);
            if (targets === undefined) joined.set(group, (targets = []));
            targets.push({ subscriberKey: key, url: current.notificationUrl });
          }
        }
        item.resolve({ service: cloneService(current), outcome: change.outcome! });
        this.#emit('registered', current, change.outcome!);
      } else if (item.kind === 'unregister') {
        if (before === undefined) {
          item.resolve(false);
          continue;
        }
        this.#checker.untrack(key);
        this.#gate?.forget(key);
        this.#lane.dropKeyed(key);
        groups.set(before.serviceName, 'unregister');
        item.resolve(true);
        this.#emit('unregistered', before);
      } else if (before !== undefined && after != null && before.status !== after.status) {
        if (!groups.has(after.serviceName)) groups.set(after.serviceName, 'update');
        this.#emit('statusChanged', after, before.status);
      }
    }
    for (const [group, eventType] of groups) this.#outbox.toSubscribers(group, eventType);
    for (const [group, targets] of joined) {
      // A pod that just subscribed learns the group's current state without waiting for a reconcile.
      if (!groups.has(group)) this.#outbox.toTargets(group, 'reconcile', targets);
    }
  }

  #reconcile(): void {
    if (this.#state !== 'running') return;
    this.#emit('reconciled', this.#outbox.reconcileAll());
  }

  /** Emits without letting a listener's exception reach the engine. Listeners get copies. */
  #emit<E extends keyof ManagerEvents>(event: E, ...args: Parameters<ManagerEvents[E]>): void {
    if (this.listenerCount(event) === 0) return;
    const copies = args.map((a) => (isServiceInfo(a) ? cloneService(a) : a));
    try {
      (this.emit as (event: string, ...rest: unknown[]) => boolean)(event, ...copies);
    } catch (error) {
      if (event !== 'error' && this.listenerCount('error') > 0) {
        this.#reportError(error, `a '${event}' listener threw`);
      } else {
        this.config.logger.error({ err: error, event }, `[core] a '${event}' listener threw`);
      }
    }
  }

  #reportError(error: unknown, context: string): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') === 0) {
      this.config.logger.error({ err }, `[core] ${context}`);
      return;
    }
    try {
      this.emit('error', err);
    } catch (listenerError) {
      this.config.logger.error({ err: listenerError, cause: err }, `[core] an 'error' listener threw`);
    }
  }
}

function isServiceInfo(value: unknown): value is ServiceInfo {
  return typeof value === 'object' && value !== null && 'registeredAt' in value && 'podName' in value;
}

/** How long `checkHealth()` waits for the store's ping: a black-holed database must not hang `/health`. */
const HEALTH_PING_TIMEOUT_MS = 3_000;

async function pingWithin(store: RegistryStore, ms: number): Promise<void> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`[core] the store (${store.name}) did not answer a ping within ${ms} ms; check the database and the network to it`));
    }, ms);
  });
  try {
    await Promise.race([store.ping({ signal: controller.signal }), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function withDeadline(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
