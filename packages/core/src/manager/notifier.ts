import type { EventType } from '../model';
import { NOTIFICATION_REVISION_HEADER } from '../wire';
import type { NotificationSigner } from '../security/notification-signer';
import { TARGET_POLICY_ERROR_CODE, type TargetPolicyGuard } from '../security/target-policy';
import { CancelToken, DELIVERY_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff';
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
  Queued,
  InFlight,
  Backoff,
}

interface Delivery {
  body: Buffer;
  target: DeliveryTarget;
  meta: DeliveryMeta;
  attempts: number;
  /** `performance.now()` when it was sent (queued). */
  sentAt: number;
}

/** The deliveries of one (subscriber, group): at most one current (queued, in flight or backing off) and one next. */
interface Pair {
  key: string;
  current: Delivery;
  phase: Phase;
  next: Delivery | undefined;
  timer: NodeJS.Timeout | undefined;
  token: CancelToken | undefined;
}

/**
 * The engine's delivery pool: POSTs notification bodies to subscribers with a per-attempt
 * timeout, retries transient failures with exponential backoff and jitter, and keeps the work
 * per (subscriber, group) bounded — a newer `send` replaces an older one that is still queued
 * or waiting to retry; if the older one is in flight, the newer waits and goes right after it.
 * So each subscriber ends at the latest payload, and pending memory is at most two small
 * records per pair, each referencing (never copying) a body shared by all targets.
 */
export class Notifier extends IoPool {
  private readonly options: NotifierOptions;
  private readonly logger: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly pairs = new Map<string, Pair>();
  private readonly urls = new Map<string, RequestTarget | string>();
  private idleWaiters: Array<() => void> = [];
  private inFlight = 0;
  private nextCount = 0;
  private delivered = 0;
  private failed = 0;
  private superseded = 0;

  constructor(options: NotifierOptions) {
    for (const field of ['timeoutMs', 'concurrency'] as const) {
      if (!(options[field] > 0)) throw new RangeError(`[core] Notifier: ${field} must be a positive number`);
    }
    if (!(options.retries >= 0)) throw new RangeError('[core] Notifier: retries must be 0 or more');
    super(options.concurrency);
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.backoff = {
      baseMs: options.retryBaseMs ?? DELIVERY_BACKOFF.baseMs,
      maxMs: options.retryMaxMs ?? DELIVERY_BACKOFF.maxMs,
      jitter: true,
    };
  }

  /**
   * Queues `body` (the payload serialized once, shared by all targets — not copied) for every
   * target. For each (subscriberKey, group) a newer send supersedes an undelivered older one,
   * including one waiting for a retry. Ignored (with a warning) after `stop()`.
   */
  send(body: Buffer, targets: readonly DeliveryTarget[], meta: DeliveryMeta): void {
    if (this.stopped) {
      this.logger.warn({ group: meta.group, targets: targets.length }, '[core] notifier is stopped; notification dropped');
      return;
    }
    const sentAt = performance.now();
    for (const target of targets) {
      const delivery: Delivery = { body, target, meta, attempts: 0, sentAt };
      const key = `${target.subscriberKey}\n${meta.group}`;
      const pair = this.pairs.get(key);
      if (!pair) {
        const created: Pair = { key, current: delivery, phase: Phase.Queued, next: undefined, timer: undefined, token: undefined };
        this.pairs.set(key, created);
        this.enqueue(created);
      } else if (pair.phase === Phase.Queued) {
        pair.current = delivery;
        this.superseded += 1;
      } else if (pair.phase === Phase.Backoff) {
        clearTimeout(pair.timer);
        pair.timer = undefined;
        pair.current = delivery;
        this.superseded += 1;
        this.enqueue(pair);
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

  /** Deliveries waiting (queued, backing off, or behind an in-flight one), in flight, and outcome counters. */
  stats(): { pending: number; inFlight: number; delivered: number; failed: number; superseded: number } {
    return {
      pending: this.pairs.size - this.inFlight + this.nextCount,
      inFlight: this.inFlight,
      delivered: this.delivered,
      failed: this.failed,
      superseded: this.superseded,
    };
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
        dropped += 1;
      }
    }
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
    this.wakeIdle();
  }

  private enqueue(pair: Pair): void {
    pair.phase = Phase.Queued;
    void this.queue.add(() => this.deliver(pair));
  }

  private async deliver(pair: Pair): Promise<void> {
    if (this.stopped || pair.phase !== Phase.Queued || this.pairs.get(pair.key) !== pair) return;
    const delivery = pair.current;
    if (this.options.mayDeliver?.(delivery.target.subscriberKey) === false) {
      this.drop(pair);
      return;
    }
    const url = this.parse(delivery.target.url);
    delivery.attempts += 1;
    if (typeof url === 'string') {
      this.fail(pair, delivery, new DeliveryError(url, undefined, delivery.attempts));
      return;
    }
    const refused = this.options.guard?.connectProblem(url.protocol, url.hostname);
    if (refused !== undefined) {
      this.fail(pair, delivery, new DeliveryError(`${refused} (notification to ${delivery.target.url})`, undefined, delivery.attempts));
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
    });
    pair.token = undefined;
    this.inFlight -= 1;
    if (token.cancelled) {
      this.logger.warn({ url: delivery.target.url, group: delivery.meta.group }, '[core] notification aborted by stop()');
      this.pairs.delete(pair.key);
      return;
    }
    const { status } = result;
    if (status >= 200 && status < 300) {
      if (debugEnabled(this.logger)) this.logAttempt(delivery, status, undefined);
      this.delivered += 1;
      const detail = { attempts: delivery.attempts, durationMs: performance.now() - delivery.sentAt };
      this.callback(() => this.options.onDelivered?.(delivery.target, delivery.meta, detail));
      this.advance(pair);
      return;
    }
    const refusedByPolicy = status === 0 && result.code === TARGET_POLICY_ERROR_CODE;
    const transient = (status === 0 && !refusedByPolicy) || status === 408 || status === 429 || status >= 500;
    const why = status === 0 ? (result.error ?? 'no response') : `HTTP ${status}`;
    if (debugEnabled(this.logger)) this.logAttempt(delivery, status, why);
    if (transient && delivery.attempts <= this.options.retries && !this.stopped) {
      if (pair.next) {
        this.superseded += 1;
        this.advance(pair);
        return;
      }
      pair.phase = Phase.Backoff;
      pair.timer = setTimeout(() => {
        pair.timer = undefined;
        this.enqueue(pair);
      }, backoffDelay(delivery.attempts - 1, this.backoff));
      pair.timer.unref();
      return;
    }
    const message =
      `[core] notification to ${delivery.target.url} (subscriber ${delivery.target.subscriberKey}, group ` +
      `${delivery.meta.group}) failed after ${delivery.attempts} attempt(s): ${why}` +
      (transient
        ? '; the subscriber will get the next change or reconcile'
        : refusedByPolicy
          ? '; the target policy refuses this address'
          : '; fix the subscriber endpoint');
    this.fail(pair, delivery, new DeliveryError(message, status || undefined, delivery.attempts));
  }

  /** One delivery attempt, at debug level: its target, revision, attempt number and outcome. */
  private logAttempt(delivery: Delivery, status: number, error: string | undefined): void {
    const { target, meta } = delivery;
    const fields = {
      url: target.url,
      subscriber: target.subscriberKey,
      group: meta.group,
      eventType: meta.eventType,
      revision: meta.revision,
      attempt: delivery.attempts,
      status: status || undefined,
      error,
    };
    this.logger.debug(fields, error === undefined ? '[core] notification delivered' : '[core] notification attempt failed');
  }

  private fail(pair: Pair, delivery: Delivery, error: DeliveryError): void {
    this.failed += 1;
    const durationMs = performance.now() - delivery.sentAt;
    this.callback(() => this.options.onFailed(delivery.target, delivery.meta, error, durationMs));
    this.advance(pair);
  }

  /**
   * Drops everything queued or waiting to retry for these subscribers (cluster hand-over: they
   * are another replica's now). A POST already in flight finishes.
   */
  forget(subscriberKeys: readonly string[]): void {
    const forgotten = new Set(subscriberKeys);
    for (const pair of [...this.pairs.values()]) {
      if (!forgotten.has(pair.current.target.subscriberKey) || pair.phase === Phase.InFlight) continue;
      if (pair.timer !== undefined) clearTimeout(pair.timer);
      pair.timer = undefined;
      this.drop(pair);
    }
  }

  private drop(pair: Pair): void {
    if (pair.next !== undefined) this.nextCount -= 1;
    pair.next = undefined;
    this.pairs.delete(pair.key);
    if (this.pairs.size === 0) this.wakeIdle();
  }

  /** The current delivery of `pair` is done: start its next one, or forget the pair. */
  private advance(pair: Pair): void {
    const next = pair.next;
    if (next && !this.stopped) {
      pair.next = undefined;
      this.nextCount -= 1;
      pair.current = next;
      this.enqueue(pair);
      return;
    }
    this.pairs.delete(pair.key);
    if (this.pairs.size === 0) this.wakeIdle();
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
