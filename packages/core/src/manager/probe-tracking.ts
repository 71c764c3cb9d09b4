import type { ServiceInfo } from '../model';
import type { HealthChecker } from './health-checker';
import type { HealthGate } from './health-gate';

/**
 * Keeps the probe pool in step with the committed registry: a new pod, or one whose health URL
 * changed, is checked right away (a result still waiting in the lane for its old URL is
 * dropped); a removed pod is no longer checked and its anti-flapping counters are forgotten.
 */
export class ProbeTracking {
  readonly #checker: HealthChecker;
  readonly #gate: HealthGate | undefined;
  readonly #dropWaitingResult: (key: string) => void;

  /**
   * @param dropWaitingResult discards a health result of `key` still waiting in the lane.
   */
  constructor(checker: HealthChecker, gate: HealthGate | undefined, dropWaitingResult: (key: string) => void) {
    this.#checker = checker;
    this.#gate = gate;
    this.#dropWaitingResult = dropWaitingResult;
  }

  /** Pods loaded from the store at start: checked over the interval, not all at once. */
  load(services: Iterable<ServiceInfo>, key: (service: ServiceInfo) => string): void {
    for (const service of services) this.#checker.track(key(service), service.healthCheckUrl);
  }

  /** A pod was created or its content changed. */
  changed(key: string, before: ServiceInfo | undefined, current: ServiceInfo): void {
    if (before !== undefined && before.healthCheckUrl === current.healthCheckUrl) return;
    this.#dropWaitingResult(key);
    this.#checker.track(key, current.healthCheckUrl, { immediate: true });
  }

  /** Cluster mode: this replica took these pods over; check them right away. */
  acquired(services: Iterable<ServiceInfo>, key: (service: ServiceInfo) => string): void {
    for (const service of services) this.#checker.track(key(service), service.healthCheckUrl, { immediate: true });
  }

  /** A pod was removed. */
  removed(key: string): void {
    this.#checker.untrack(key);
    this.#gate?.forget(key);
    this.#dropWaitingResult(key);
  }
}
