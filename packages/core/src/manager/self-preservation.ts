import type { EventSink } from './events';
import type { RegistryView } from './registry-view';

/** Settings of {@link SelfPreservation} (the manager's `selfPreservationThreshold` and `selfPreservationMinPods`). */
export interface SelfPreservationOptions {
  /** Share of checked pods (healthy + unhealthy) that must be unhealthy to pause deregistration; 0 = off. */
  threshold: number;
  /** Fewer checked pods than this never pause deregistration (one dead pod of three is not a partition). */
  minPods: number;
}

/** What `stats().selfPreservation` and `/health` report. */
export interface SelfPreservationState {
  /** True while `deregisterAfter` is paused. */
  active: boolean;
  /** The configured share; 0 when the feature is off. */
  threshold: number;
  minPods: number;
  /** Unhealthy pods ÷ checked pods (healthy + unhealthy) now; 0 with no checked pod. */
  unhealthyShare: number;
  /** When the current pause began (ISO 8601); absent when not active. */
  since?: string;
}

/**
 * Eureka's self-preservation, Nacos's protect threshold: when a large share of the fleet is
 * unhealthy at the same time, the manager itself is the likelier culprit (partitioned, its
 * network or DNS broken) than that many pods dying together. While that holds, pods that stay
 * unhealthy are not deregistered; their statuses stay truthful (consumers still see them
 * unhealthy). The pause ends as soon as the share drops below the threshold; pods still
 * unhealthy for `deregisterAfter` are then deregistered at their next check.
 *
 * The share is read from the view's status counts (O(1)), which in cluster mode hold every
 * replica's pods, so every replica comes to the same decision.
 */
export class SelfPreservation {
  readonly #o: SelfPreservationOptions;
  readonly #view: RegistryView;
  readonly #events: EventSink;
  #since: Date | undefined;

  constructor(options: SelfPreservationOptions, view: RegistryView, events: EventSink) {
    this.#o = options;
    this.#view = view;
    this.#events = events;
  }

  /** Re-evaluates the pause from the current counts; emits `selfPreservationChanged` when it flips. Returns whether it is active. */
  update(): boolean {
    const { threshold, minPods } = this.#o;
    if (threshold <= 0) return false;
    const { healthy, unhealthy } = this.#view.counts();
    const checked = healthy + unhealthy;
    const active = checked >= minPods && checked > 0 && unhealthy / checked >= threshold;
    if (active === (this.#since !== undefined)) return active;
    this.#since = active ? new Date() : undefined;
    this.#events.emit('selfPreservationChanged', this.state());
    return active;
  }

  get active(): boolean {
    return this.#since !== undefined;
  }

  state(): SelfPreservationState {
    const { healthy, unhealthy } = this.#view.counts();
    const checked = healthy + unhealthy;
    const out: SelfPreservationState = {
      active: this.#since !== undefined,
      threshold: this.#o.threshold,
      minPods: this.#o.minPods,
      unhealthyShare: checked === 0 ? 0 : unhealthy / checked,
    };
    if (this.#since !== undefined) out.since = this.#since.toISOString();
    return out;
  }
}
