import type { EventType } from '../model';
import { NOTIFICATION_REVISION_HEADER } from '../wire';
import type { NotificationSigner } from '../security/notification-signer';
import { TARGET_POLICY_ERROR_CODE, type TargetPolicyGuard } from '../security/target-policy';
import { CancelToken, DELIVERY_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff';
import { SubscriberCircuit, type CircuitPolicy } from './delivery-circuit';
import { httpAttempt, requestTarget, type RequestTarget } from './http-agent';
import { IoPool } from './io-pool';
import { debugEnabled } from './log-levels';
import { silentLogger, type Logger } from './logger';

/** Where one notification goes: a subscriber pod (`service:pod`) and its notification URL. */
export interface DeliveryTarget {
  subscriberKey: string;
  url: string;
}

/** What a delivery carries, for callbacks and logs (the body itself is opaque bytes). */
export interface DeliveryMeta {
  group: string;
  eventType: EventType;
  revision: number;
}

/** Settings of a {@link Notifier}. Durations are in milliseconds. */
export interface NotifierOptions {
  /** Per-attempt timeout of one POST. */
  timeoutMs: number;
  /** Extra attempts after a transient failure (network error, timeout, 408, 429, 5xx). */
  retries: number;
  /** Most POSTs in flight at once (and most sockets per origin). */
  concurrency: number;
  /**
   * Called once when a delivery gives up: after its last retry, or at once on a non-transient
   * answer. `durationMs`: from `send` to giving up.
   */
  onFailed(target: DeliveryTarget, meta: DeliveryMeta, error: DeliveryError, durationMs: number): void;
  /** Called once when a subscriber answered 2xx; `durationMs`: from `send` to the answer. */
  onDelivered?(target: DeliveryTarget, meta: DeliveryMeta, detail: { attempts: number; durationMs: number }): void;
  logger?: Logger;
  /** Delay before the first retry (doubles each retry, with jitter). Default 100 ms. */
  retryBaseMs?: number;
  /** Cap of one retry delay. Default 5000 ms. */
  retryMaxMs?: number;
  /** Signs each attempt (fresh timestamp) over the exact body posted, its revision and its target; headers are added to the POST. */
  sign?: NotificationSigner;
  /** The outbound target policy: a refused target fails at once, without retries. */
  guard?: Pick<TargetPolicyGuard, 'lookup' | 'connectProblem'>;
  /**
   * Cluster mode: whether this replica still delivers to the subscriber (owns it). Asked before
   * each attempt; a delivery to a subscriber it no longer owns is dropped (its new owner sends
   * it a reconcile).
   */
  mayDeliver?(subscriberKey: string): boolean;
  /** Attempts to one subscriber (all its groups) at once. Default 2. */
  perSubscriber?: number;
  /** Consecutive failed attempts after which a subscriber's circuit opens (one probe at a time, growing waits). Default 5. */
  circuitThreshold?: number;
  /** Wait before the first probe of an open circuit. Default 1000 ms. */
  circuitBaseMs?: number;
  /** Longest wait between probes of an open circuit. Default 60 000 ms. */
  circuitMaxMs?: number;
  /** Most bytes of a subscriber's answer that are read; the rest is not (the connection is closed). Default 4096. */
  responseBodyLimit?: number;
  /** A subscriber's circuit opened: it failed `circuitThreshold` attempts in a row. */
  onUnreachable?(info: SubscriberUnreachable): void;
  /** An open circuit closed: a probe delivery was answered. */
  onRecovered?(info: SubscriberRecovered): void;
}

/** A subscriber whose circuit opened (the `subscriberUnreachable` event). */
export interface SubscriberUnreachable {
  subscriberKey: string;
  url: string;
  /** Failed attempts in a row. */
  failures: number;
  /** Why the last attempt failed. */
  error: string;
}

/** A subscriber whose open circuit closed again (the `subscriberRecovered` event). */
export interface SubscriberRecovered {
  subscriberKey: string;
  url: string;
  /** How long the circuit was open, in ms. */
  unreachableForMs: number;
}

/** One subscriber's share of the backlog, in `stats().backlog`. */
export interface SubscriberBacklog {
  subscriberKey: string;
  url: string;
  /** Deliveries waiting for this subscriber (one per group, plus one behind each in-flight one). */
  pending: number;
  /** Failed attempts in a row. */
  failures: number;
  /** Whether its circuit is open. */
  open: boolean;
}

/** What `Notifier.stats()` reports. */
export interface NotifierStats {
  pending: number;
  inFlight: number;
  delivered: number;
  failed: number;
  superseded: number;
  /** Subscribers whose circuit is open (unreachable: one probe at a time). */
  openCircuits: number;
  /** Subscribers whose last attempt failed (open circuits included). */
  failingSubscribers: number;
  /** The subscribers with the most pending deliveries (at most 10, largest first). */
  backlog: SubscriberBacklog[];
}

/** Why a delivery was given up; passed to `onFailed`. */
export class DeliveryError extends Error {
  /** The HTTP status of the last answer; undefined when none arrived (network error, timeout). */
  readonly status: number | undefined;
  readonly attempts: number;

  constructor(message: string, status: number | undefined, attempts: number) {
    super(message);
    this.name = 'DeliveryError';
    this.status = status;
    this.attempts = attempts;
  }
}

const enum Phase {
  /** Ready, waiting for its subscriber's turn (per-subscriber limit, open circuit, suspects' share). */
  Waiting,
  Queued,
  InFlight,
  Backoff,
}

interface Delivery {
  body: Buffer;
  target: DeliveryTarget;
  meta: DeliveryMeta;
  /** `performance.now()` when it was sent (queued). */
  sentAt: number;
}

/**
 * The deliveries of one (subscriber, group): at most one current (waiting, queued, in flight or
 * backing off) and one next. `attempts` belongs to the pair, not to a payload: a newer payload
 * that replaces the current one keeps the count, so a pair that keeps failing reaches `failed`.
 */
interface Pair {
  key: string;
  circuit: SubscriberCircuit<Pair>;
  current: Delivery;
  phase: Phase;
  next: Delivery | undefined;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  token: CancelToken | undefined;
}

/** Subscribers whose last attempt failed share this part of the pool. */
const SUSPECT_SHARE = 4;

/**
 * The subscribers that wait for a turn in one share of the pool (untried or suspect). Entries
 * are checked when taken (a circuit whose `parked` no longer names this share is skipped), so
 * moving or dropping a circuit costs nothing here.
 */
class ParkedQueue {
  readonly #kind: 'untried' | 'suspect';
  #items: Array<SubscriberCircuit<Pair>> = [];
  #head = 0;

  constructor(kind: 'untried' | 'suspect') {
    this.#kind = kind;
  }

  push(circuit: SubscriberCircuit<Pair>): void {
    this.#items.push(circuit);
  }

  /** The subscriber that waits longest (`newest`: the one that arrived last). */
  take(newest: boolean): SubscriberCircuit<Pair> | undefined {
    while (this.#head < this.#items.length) {
      const circuit = newest ? this.#items.pop()! : this.#items[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      if (circuit.parked === this.#kind) return circuit;
    }
    this.clear();
    return undefined;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/**
 * The engine's delivery pool: POSTs notification bodies to subscribers with a per-attempt
 * timeout, retries transient failures with exponential backoff and jitter, and keeps the work
 * per (subscriber, group) bounded — a newer `send` replaces an older one that is still waiting;
 * if the older one is in flight, the newer waits and goes right after it. So each subscriber
 * ends at the latest payload, and pending memory is at most two small records per pair, each
 * referencing (never copying) a body shared by all targets.
 *
 * Fairness: a subscriber that has answered has at most `perSubscriber` attempts running; one
 * that never answered has one. A subscriber whose last attempt failed ("suspect") waits behind
 * every other one and all suspects together use at most a quarter of the pool. A subscriber
 * that has not been tried yet ("untried") is not trusted either: untried and suspect ones
 * together use at most three quarters of the pool, and a freed slot goes to the newest and the
 * oldest waiting untried subscriber in turn. After `circuitThreshold` failures in a row a
 * circuit opens (one probe delivery at a time, after growing waits), and on the first answer its
 * newest payloads go out. So subscribers that answer keep at least a quarter of the pool however
 * many dead ones there are (three quarters once the dead ones have failed once), and a new
 * subscriber waits at most about one attempt timeout behind a flood of new dead ones.
 */
export class Notifier extends IoPool {
  private readonly options: NotifierOptions;
  private readonly logger: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly circuitPolicy: CircuitPolicy;
  private readonly perSubscriber: number;
  private readonly suspectLimit: number;
  /** Untried and suspect subscribers together use at most this many slots, so answered ones keep a quarter of the pool. */
  private readonly doubtfulLimit: number;
  private readonly bodyLimit: number;
  private readonly pairs = new Map<string, Pair>();
  private readonly circuits = new Map<string, SubscriberCircuit<Pair>>();
  /** Suspect subscribers with deliveries held only by the suspects' share, in arrival order. */
  private readonly suspectsWaiting = new ParkedQueue('suspect');
  /** Untried subscribers with deliveries held only by the untried share, in arrival order. */
  private readonly untriedWaiting = new ParkedQueue('untried');
  private untriedActive = 0;
  /** The untried share alternates between the newest and the oldest waiting subscriber. */
  private newestTurn = true;
  /** A freed slot of the doubtful shares alternates between suspects and untried subscribers. */
  private suspectTurn = false;
  private readonly urls = new Map<string, RequestTarget | string>();
  private idleWaiters: Array<() => void> = [];
  private inFlight = 0;
  private suspectActive = 0;
  private nextCount = 0;
  private delivered = 0;
  private failed = 0;
  private superseded = 0;

  constructor(options: NotifierOptions) {
    for (const field of ['timeoutMs', 'concurrency'] as const) {
      if (!(options[field] > 0)) throw new RangeError(`[core] Notifier: ${field} must be a positive number`);
    }
    if (!(options.retries >= 0)) throw new RangeError('[core] Notifier: retries must be 0 or more');
    for (const field of ['perSubscriber', 'circuitThreshold', 'circuitBaseMs', 'circuitMaxMs', 'responseBodyLimit'] as const) {
      const value = options[field];
      if (value !== undefined && !(value > 0)) throw new RangeError(`[core] Notifier: ${field} must be a positive number`);
    }
    super(options.concurrency);
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.backoff = {
      baseMs: options.retryBaseMs ?? DELIVERY_BACKOFF.baseMs,
      maxMs: options.retryMaxMs ?? DELIVERY_BACKOFF.maxMs,
      jitter: true,
    };
    this.circuitPolicy = {
      threshold: options.circuitThreshold ?? 5,
      probe: { baseMs: options.circuitBaseMs ?? 1000, maxMs: options.circuitMaxMs ?? 60_000, jitter: true },
    };
    this.perSubscriber = options.perSubscriber ?? 2;
    this.suspectLimit = Math.max(1, Math.floor(options.concurrency / SUSPECT_SHARE));
    this.doubtfulLimit = Math.max(1, options.concurrency - Math.floor(options.concurrency / SUSPECT_SHARE));
    this.bodyLimit = options.responseBodyLimit ?? 4096;
  }

  /**
   * Queues `body` (the payload serialized once, shared by all targets — not copied) for every
   * target. For each (subscriberKey, group) a newer send supersedes an undelivered older one,
   * including one waiting for a retry (which then goes at once, keeping its attempt count).
   * Ignored (with a warning) after `stop()`.
   */
  send(body: Buffer, targets: readonly DeliveryTarget[], meta: DeliveryMeta): void {
    if (this.stopped) {
      this.logger.warn({ group: meta.group, targets: targets.length }, '[core] notifier is stopped; notification dropped');
      return;
    }
    const sentAt = performance.now();
    for (const target of targets) {
      const delivery: Delivery = { body, target, meta, sentAt };
      const key = `${target.subscriberKey}\n${meta.group}`;
      const pair = this.pairs.get(key);
      if (!pair) {
        const circuit = this.circuitOf(target);
        const created: Pair = { key, circuit, current: delivery, phase: Phase.Waiting, next: undefined, attempts: 0, timer: undefined, token: undefined };
        this.pairs.set(key, created);
        circuit.pairs.add(created);
        this.ready(created);
      } else if (pair.phase === Phase.Queued || pair.phase === Phase.Waiting) {
        pair.current = delivery;
        this.superseded += 1;
      } else if (pair.phase === Phase.Backoff) {
        clearTimeout(pair.timer);
        pair.timer = undefined;
        pair.current = delivery;
        this.superseded += 1;
        this.ready(pair);
      } else {
        if (pair.next) this.superseded += 1;
        else this.nextCount += 1;
        pair.next = delivery;
      }
    }
  }

  /** Resolves when nothing is queued, waiting to retry or in flight. */
  idle(): Promise<void> {
    if (this.pairs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Deliveries waiting (queued, backing off, or behind an in-flight one), in flight, outcome counters, circuits and the largest backlogs. */
  stats(): NotifierStats {
    let openCircuits = 0;
    let failingSubscribers = 0;
    const backlog: SubscriberBacklog[] = [];
    for (const circuit of this.circuits.values()) {
      if (circuit.open) openCircuits += 1;
      if (circuit.failures > 0) failingSubscribers += 1;
      let pending = 0;
      for (const pair of circuit.pairs) pending += (pair.phase === Phase.InFlight ? 0 : 1) + (pair.next === undefined ? 0 : 1);
      if (pending > 0) backlog.push({ subscriberKey: circuit.key, url: circuit.url, pending, failures: circuit.failures, open: circuit.open });
    }
    backlog.sort((a, b) => b.pending - a.pending || b.failures - a.failures);
    return {
      pending: this.pairs.size - this.inFlight + this.nextCount,
      inFlight: this.inFlight,
      delivered: this.delivered,
      failed: this.failed,
      superseded: this.superseded,
      openCircuits,
      failingSubscribers,
      backlog: backlog.slice(0, 10),
    };
  }

  /**
   * Drops everything queued or waiting to retry for these subscribers: a removed pod (with
   * `abort`, its POSTs in flight are aborted too, so nothing more reaches it) or, in cluster
   * mode, subscribers handed to another replica (their POSTs in flight finish).
   */
  forget(subscriberKeys: readonly string[], options?: { abort?: boolean }): void {
    for (const subscriberKey of subscriberKeys) {
      const circuit = this.circuits.get(subscriberKey);
      if (circuit === undefined) continue;
      for (const pair of [...circuit.pairs]) {
        if (pair.phase === Phase.InFlight) {
          if (options?.abort !== true) continue;
          // No longer counted as in flight; `deliver` sees the phase changed and does not count it down again.
          this.inFlight -= 1;
          pair.phase = Phase.Waiting;
          pair.token?.cancel('unregistered');
        }
        clearTimeout(pair.timer);
        pair.timer = undefined;
        this.drop(pair);
      }
      if (options?.abort === true || circuit.pairs.size === 0) this.dropCircuit(circuit);
    }
  }

  /** `stop()`: what has not started is dropped (and logged); POSTs in flight are aborted at the deadline. */
  protected dropWaiting(): void {
    let dropped = 0;
    for (const pair of this.pairs.values()) {
      if (pair.next) dropped += 1;
      pair.next = undefined;
      if (pair.phase !== Phase.InFlight) {
        clearTimeout(pair.timer);
        this.pairs.delete(pair.key);
        pair.circuit.pairs.delete(pair);
        dropped += 1;
      }
    }
    for (const circuit of this.circuits.values()) {
      clearTimeout(circuit.timer);
      circuit.timer = undefined;
      circuit.waiting = [];
    }
    this.suspectsWaiting.clear();
    this.untriedWaiting.clear();
    this.nextCount = 0;
    if (dropped > 0) this.logger.warn({ dropped }, '[core] notifier stopped with undelivered notifications');
  }

  protected get busy(): boolean {
    return this.inFlight > 0;
  }

  protected cancelRunning(): void {
    for (const pair of this.pairs.values()) pair.token?.cancel('stopped');
  }

  protected override afterStop(): void {
    this.pairs.clear();
    this.circuits.clear();
    this.wakeIdle();
  }

  private circuitOf(target: DeliveryTarget): SubscriberCircuit<Pair> {
    let circuit = this.circuits.get(target.subscriberKey);
    if (circuit === undefined) {
      circuit = new SubscriberCircuit<Pair>(target.subscriberKey, target.url);
      this.circuits.set(target.subscriberKey, circuit);
    } else if (circuit.url !== target.url) {
      circuit.url = target.url;
    }
    return circuit;
  }

  /** The pair may be attempted now: it waits for its subscriber's turn. */
  private ready(pair: Pair): void {
    pair.phase = Phase.Waiting;
    pair.circuit.waiting.push(pair);
    this.pump(pair.circuit);
  }

  /** Starts as many of the subscriber's waiting deliveries as its limits allow. */
  private pump(circuit: SubscriberCircuit<Pair>): void {
    if (this.stopped || this.circuits.get(circuit.key) !== circuit) return;
    const now = Date.now();
    while (circuit.waiting.length > 0) {
      if (!circuit.admits(this.perSubscriber, now)) {
        if (circuit.open && circuit.active === 0 && circuit.timer === undefined) {
          circuit.timer = setTimeout(() => {
            circuit.timer = undefined;
            this.pump(circuit);
          }, Math.max(0, circuit.probeAt - now));
          circuit.timer.unref();
        }
        return;
      }
      const share = shareOf(circuit);
      if (share !== undefined && !this.hasRoom(share)) {
        if (circuit.parked !== share) {
          circuit.parked = share;
          (share === 'suspect' ? this.suspectsWaiting : this.untriedWaiting).push(circuit);
        }
        return;
      }
      const pair = circuit.waiting.shift()!;
      if (pair.phase !== Phase.Waiting || this.pairs.get(pair.key) !== pair) continue;
      this.dispatch(pair);
    }
  }

  private dispatch(pair: Pair): void {
    const { circuit } = pair;
    const share = shareOf(circuit);
    circuit.active += 1;
    if (share === 'suspect') this.suspectActive += 1;
    else if (share === 'untried') this.untriedActive += 1;
    pair.phase = Phase.Queued;
    void this.queue.add(
      async () => {
        try {
          await this.deliver(pair);
        } finally {
          circuit.active -= 1;
          if (share === 'suspect') this.suspectActive -= 1;
          else if (share === 'untried') this.untriedActive -= 1;
          this.pump(circuit);
          if (share !== undefined) this.pumpDoubtful();
        }
      },
      { priority: share === 'suspect' ? 0 : share === 'untried' ? 1 : 2 },
    );
  }

  /** Whether an attempt of this share may start: the shares' limits (the pool's own limit is the queue's). */
  private hasRoom(share: 'untried' | 'suspect'): boolean {
    if (this.suspectActive + this.untriedActive >= this.doubtfulLimit) return false;
    return share === 'untried' || this.suspectActive < this.suspectLimit;
  }

  /**
   * Gives freed slots of the doubtful shares to waiting subscribers: suspects and untried ones in
   * turn; among untried ones the newest and the oldest in turn, so a pod that registers after a
   * flood of dead ones waits at most about one attempt timeout, and the oldest still move.
   */
  private pumpDoubtful(): void {
    for (;;) {
      const suspectFirst = this.suspectTurn;
      this.suspectTurn = !this.suspectTurn;
      const circuit = suspectFirst ? (this.takeSuspect() ?? this.takeUntried()) : (this.takeUntried() ?? this.takeSuspect());
      if (circuit === undefined) return;
      circuit.parked = undefined;
      this.pump(circuit);
    }
  }

  private takeSuspect(): SubscriberCircuit<Pair> | undefined {
    return this.hasRoom('suspect') ? this.suspectsWaiting.take(false) : undefined;
  }

  private takeUntried(): SubscriberCircuit<Pair> | undefined {
    if (!this.hasRoom('untried')) return undefined;
    const newest = this.newestTurn;
    this.newestTurn = !this.newestTurn;
    return this.untriedWaiting.take(newest);
  }

  private async deliver(pair: Pair): Promise<void> {
    if (this.stopped || pair.phase !== Phase.Queued || this.pairs.get(pair.key) !== pair) return;
    const delivery = pair.current;
    if (this.options.mayDeliver?.(delivery.target.subscriberKey) === false) {
      this.drop(pair);
      return;
    }
    const url = this.parse(delivery.target.url);
    pair.attempts += 1;
    if (typeof url === 'string') {
      this.fail(pair, delivery, new DeliveryError(url, undefined, pair.attempts));
      return;
    }
    const refused = this.options.guard?.connectProblem(url.protocol, url.hostname);
    if (refused !== undefined) {
      this.fail(pair, delivery, new DeliveryError(`${refused} (notification to ${delivery.target.url})`, undefined, pair.attempts));
      return;
    }
    pair.phase = Phase.InFlight;
    this.inFlight += 1;
    const token = new CancelToken();
    pair.token = token;
    const headers = {
      'content-type': 'application/json',
      'content-length': delivery.body.length,
      [NOTIFICATION_REVISION_HEADER]: String(delivery.meta.revision),
    };
    const result = await httpAttempt(url, {
      method: 'POST',
      body: delivery.body,
      headers: this.options.sign
        ? { ...headers, ...this.options.sign(delivery.body, { revision: delivery.meta.revision, target: delivery.target.subscriberKey }) }
        : headers,
      timeoutMs: this.options.timeoutMs,
      agent: this.agents.for(url),
      token,
      lookup: this.options.guard?.lookup,
      bodyLimit: this.bodyLimit,
    });
    pair.token = undefined;
    if (pair.phase === Phase.InFlight) this.inFlight -= 1;
    if (token.cancelled) {
      if (this.stopped) this.logger.warn({ url: delivery.target.url, group: delivery.meta.group }, '[core] notification aborted by stop()');
      if (this.pairs.get(pair.key) === pair) this.drop(pair);
      return;
    }
    const { status } = result;
    const { circuit } = pair;
    if (status >= 200 && status < 300) {
      if (debugEnabled(this.logger)) this.logAttempt(delivery, pair.attempts, status, undefined);
      this.delivered += 1;
      const detail = { attempts: pair.attempts, durationMs: performance.now() - delivery.sentAt };
      pair.attempts = 0;
      this.answered(circuit);
      this.callback(() => this.options.onDelivered?.(delivery.target, delivery.meta, detail));
      this.advance(pair);
      return;
    }
    const refusedByPolicy = status === 0 && result.code === TARGET_POLICY_ERROR_CODE;
    const transient = (status === 0 && !refusedByPolicy) || status === 408 || status === 429 || status >= 500;
    const why = status === 0 ? (result.error ?? 'no response') : `HTTP ${status}`;
    if (debugEnabled(this.logger)) this.logAttempt(delivery, pair.attempts, status, why);
    if (transient) {
      if (circuit.failed(why, Date.now(), this.circuitPolicy)) {
        const info = { subscriberKey: circuit.key, url: circuit.url, failures: circuit.failures, error: why };
        this.logger.warn(info, '[core] subscriber unreachable: its notifications wait for a probe delivery to be answered');
        this.callback(() => this.options.onUnreachable?.(info));
      }
    } else if (!refusedByPolicy) {
      this.answered(circuit);
    }
    if (transient && pair.attempts <= this.options.retries && !this.stopped) {
      if (pair.next) {
        this.superseded += 1;
        pair.current = pair.next;
        pair.next = undefined;
        this.nextCount -= 1;
        this.ready(pair);
        return;
      }
      pair.phase = Phase.Backoff;
      pair.timer = setTimeout(() => {
        pair.timer = undefined;
        this.ready(pair);
      }, backoffDelay(pair.attempts - 1, this.backoff));
      pair.timer.unref();
      return;
    }
    const message =
      `[core] notification to ${delivery.target.url} (subscriber ${delivery.target.subscriberKey}, group ` +
      `${delivery.meta.group}) failed after ${pair.attempts} attempt(s): ${why}` +
      (transient
        ? '; the subscriber will get the next change or reconcile'
        : refusedByPolicy
          ? '; the target policy refuses this address'
          : '; fix the subscriber endpoint');
    this.fail(pair, delivery, new DeliveryError(message, status || undefined, pair.attempts));
  }

  /** The subscriber answered: its failure streak ends, and an open circuit closes. */
  private answered(circuit: SubscriberCircuit<Pair>): void {
    const openedAt = circuit.openedAt;
    if (!circuit.answered()) return;
    const info = { subscriberKey: circuit.key, url: circuit.url, unreachableForMs: Date.now() - openedAt };
    this.logger.info(info, '[core] subscriber recovered: its newest notifications go out now');
    this.callback(() => this.options.onRecovered?.(info));
  }

  /** One delivery attempt, at debug level: its target, revision, attempt number and outcome. */
  private logAttempt(delivery: Delivery, attempt: number, status: number, error: string | undefined): void {
    const { target, meta } = delivery;
    const fields = {
      url: target.url,
      subscriber: target.subscriberKey,
      group: meta.group,
      eventType: meta.eventType,
      revision: meta.revision,
      attempt,
      status: status || undefined,
      error,
    };
    this.logger.debug(fields, error === undefined ? '[core] notification delivered' : '[core] notification attempt failed');
  }

  private fail(pair: Pair, delivery: Delivery, error: DeliveryError): void {
    this.failed += 1;
    const durationMs = performance.now() - delivery.sentAt;
    pair.attempts = 0;
    this.callback(() => this.options.onFailed(delivery.target, delivery.meta, error, durationMs));
    this.advance(pair);
  }

  private drop(pair: Pair): void {
    if (pair.next !== undefined) this.nextCount -= 1;
    pair.next = undefined;
    this.forgetPair(pair);
  }

  /** The current delivery of `pair` is done: start its next one, or forget the pair. */
  private advance(pair: Pair): void {
    const next = pair.next;
    if (next && !this.stopped) {
      pair.next = undefined;
      this.nextCount -= 1;
      pair.current = next;
      this.ready(pair);
      return;
    }
    this.forgetPair(pair);
  }

  private forgetPair(pair: Pair): void {
    if (this.pairs.get(pair.key) === pair) this.pairs.delete(pair.key);
    const { circuit } = pair;
    circuit.pairs.delete(pair);
    if (circuit.forgettable && this.circuits.get(circuit.key) === circuit) this.dropCircuit(circuit);
    if (this.pairs.size === 0) this.wakeIdle();
  }

  private dropCircuit(circuit: SubscriberCircuit<Pair>): void {
    clearTimeout(circuit.timer);
    circuit.timer = undefined;
    circuit.waiting = [];
    circuit.parked = undefined;
    if (this.circuits.get(circuit.key) === circuit) this.circuits.delete(circuit.key);
  }

  private parse(raw: string): RequestTarget | string {
    let url = this.urls.get(raw);
    if (url !== undefined) return url;
    try {
      const parsed = new URL(raw);
      url =
        parsed.protocol === 'http:' || parsed.protocol === 'https:'
          ? requestTarget(parsed)
          : `[core] notification URL ${JSON.stringify(raw)} must start with http:// or https://`;
    } catch {
      url = `[core] notification URL ${JSON.stringify(raw)} is not a valid URL`;
    }
    if (this.urls.size >= 10_000) this.urls.clear();
    this.urls.set(raw, url);
    return url;
  }

  private callback(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.logger.error({ err: error }, '[core] notifier callback threw');
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** The share of the pool a subscriber's next attempt uses: none (answered before), untried, or suspect (its last attempt failed). */
function shareOf(circuit: SubscriberCircuit<Pair>): 'untried' | 'suspect' | undefined {
  return circuit.suspect ? 'suspect' : circuit.untried ? 'untried' : undefined;
}
