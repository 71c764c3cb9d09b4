import type { ServiceInfo } from '../model';
import type { HealthChecker } from './health-checker';
import type { HealthGate } from './health-gate';
import type { TtlChecks } from './ttl-checks';

/**
 * Keeps the probe pool in step with the committed registry: a new pod, or one whose health URL
 * changed, is checked right away (a result still waiting in the lane for its old URL is
 * dropped); a removed pod is no longer checked and its anti-flapping counters are forgotten.
 */
export class ProbeTracking {
  readonly #checker: HealthChecker;
  readonly #gate: HealthGate | undefined;
  readonly #dropWaitingResult: (key: string) => void;
  readonly #ttl: TtlChecks;

  /**
   * @param dropWaitingResult discards a health result of `key` still waiting in the lane.
   * @param ttl the heartbeat checks: a pod with a `ttl` is tracked there instead of probed.
   */
  constructor(checker: HealthChecker, gate: HealthGate | undefined, dropWaitingResult: (key: string) => void, ttl: TtlChecks) {
    this.#checker = checker;
    this.#gate = gate;
    this.#dropWaitingResult = dropWaitingResult;
    this.#ttl = ttl;
  }

  /** Pods loaded from the store at start: checked over the interval, not all at once. */
  load(services: Iterable<ServiceInfo>, key: (service: ServiceInfo) => string): void {
    for (const service of services) this.#track(key(service), service, false);
  }

  /** A pod was created or its content changed. */
  changed(key: string, before: ServiceInfo | undefined, current: ServiceInfo): void {
    if (before !== undefined && before.healthCheckUrl === current.healthCheckUrl && before.ttl === current.ttl) return;
    this.#dropWaitingResult(key);
    this.#track(key, current, true);
  }

  /** Cluster mode: this replica took these pods over; check them right away. */
  acquired(services: Iterable<ServiceInfo>, key: (service: ServiceInfo) => string): void {
    for (const service of services) this.#track(key(service), service, true);
  }

  #track(key: string, service: ServiceInfo, immediate: boolean): void {
    if (service.ttl !== undefined) {
      this.#checker.untrack(key);
      this.#ttl.track(key, service.ttl);
      return;
    }
    this.#ttl.untrack(key);
    this.#checker.track(key, service.healthCheckUrl, immediate ? { immediate: true } : undefined);
  }

  /** A pod was removed. */
  removed(key: string): void {
    this.#checker.untrack(key);
    this.#ttl.untrack(key);
    this.#gate?.forget(key);
    this.#dropWaitingResult(key);
  }
}
