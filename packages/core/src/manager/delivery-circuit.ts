import { backoffDelay, type BackoffPolicy } from './backoff';

/** When a subscriber counts as unreachable and how its circuit is probed. @internal */
export interface CircuitPolicy {
  /** Consecutive failed attempts (network error, timeout, 408, 429, 5xx) that open the circuit. */
  threshold: number;
  /** Wait before the first probe of an open circuit; doubles (with jitter) after each failed probe, up to `maxMs`. */
  probe: BackoffPolicy;
}

/**
 * The standing of one subscriber (its deliveries of every group together): how many attempts
 * run for it, which of its deliveries wait for a turn, and its circuit breaker. A subscriber
 * whose last attempt failed is "suspect" and shares a small part of the delivery pool with the
 * other suspects; after `threshold` consecutive failures its circuit opens: one probe delivery at
 * a time, each after a growing wait, until one is answered, which closes it again.
 *
 * @internal
 */
export class SubscriberCircuit<P> {
  readonly key: string;
  url: string;
  /** Consecutive failed attempts (0 after any answer that is not a transient failure). */
  failures = 0;
  open = false;
  /** When the circuit opened (ms since epoch), 0 while closed. */
  openedAt = 0;
  /** Open circuit: no probe starts before this time (ms since epoch). */
  probeAt = 0;
  /** Attempts of this subscriber queued in the pool or in flight. */
  active = 0;
  /** Deliveries ready to go that wait for this subscriber's turn, oldest first. */
  waiting: P[] = [];
  /** Every (subscriber, group) delivery record of this subscriber. */
  readonly pairs = new Set<P>();
  /** Wakes the circuit at `probeAt`. */
  timer: NodeJS.Timeout | undefined;
  lastError = '';
  /** Whether it ever answered (2xx or a definite refusal). Until then it is "untried": one attempt at a time, in the untried share of the pool. */
  proven = false;
  /** Which share of the pool it waits for, while it waits in the notifier's queue of that share. */
  parked: 'untried' | 'suspect' | undefined;
  #probeFailures = 0;

  constructor(key: string, url: string) {
    this.key = key;
    this.url = url;
  }

  /** Whether the last attempt failed: its next ones go to the suspects' share of the pool. */
  get suspect(): boolean {
    return this.failures > 0;
  }

  /** Never answered and never failed: a new subscriber, alive or not. */
  get untried(): boolean {
    return !this.proven && this.failures === 0;
  }

  /**
   * Whether another attempt may start now: below the per-subscriber limit (1 while untried), or
   * the one probe of an open circuit once its wait is over.
   */
  admits(perSubscriber: number, now: number): boolean {
    if (this.open) return this.active === 0 && now >= this.probeAt;
    return this.active < (this.proven ? perSubscriber : 1);
  }

  /** A transient failure; true when it opened the circuit. */
  failed(error: string, now: number, policy: CircuitPolicy): boolean {
    this.failures += 1;
    this.lastError = error;
    if (this.open) {
      this.probeAt = now + backoffDelay(++this.#probeFailures, policy.probe);
      return false;
    }
    if (this.failures < policy.threshold) return false;
    this.open = true;
    this.openedAt = now;
    this.#probeFailures = 0;
    this.probeAt = now + backoffDelay(0, policy.probe);
    return true;
  }

  /** An answer (2xx, or a definite refusal such as 4xx); true when it closed an open circuit. */
  answered(): boolean {
    const wasOpen = this.open;
    this.proven = true;
    this.failures = 0;
    this.open = false;
    this.openedAt = 0;
    this.#probeFailures = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    return wasOpen;
  }

  /** Nothing to remember: no deliveries and no failure streak. */
  get forgettable(): boolean {
    return this.pairs.size === 0 && this.failures === 0;
  }
}
