import type { ServiceStatus } from '../model';

/** Settings of a {@link HealthGate} (the manager's `failureThreshold`, `successThreshold`, `deregisterAfter`). */
export interface HealthGateOptions {
  /** Consecutive failed checks before a healthy pod becomes unhealthy (1 = the first failure). */
  failureThreshold: number;
  /** Consecutive passed checks before an unhealthy pod becomes healthy (1 = the first pass). */
  successThreshold: number;
  /** Milliseconds a pod may stay unhealthy before it is deregistered; 0 = never. */
  deregisterAfter: number;
}

/** What the gate decided for one check result. */
export interface HealthVerdict {
  /** The status the pod has after this result (the same as before while a streak is building). */
  status: 'healthy' | 'unhealthy';
  /** True once the pod has been unhealthy for `deregisterAfter` or longer. */
  deregister: boolean;
  /** How long the pod has been unhealthy, in ms (0 when healthy). */
  unhealthyForMs: number;
}

interface GateEntry {
  status: ServiceStatus;
  /** Consecutive results that disagree with `status`. */
  against: number;
  unhealthySince: number | undefined;
}

/**
 * Anti-flapping for health results, as Kubernetes probes have it: a pod's status changes only
 * after `failureThreshold` consecutive failures (healthy → unhealthy) or `successThreshold`
 * consecutive passes (unhealthy → healthy). A pod whose status is still `unknown` takes its
 * first result directly, so a new pod is routable after one passing check.
 *
 * It also tracks how long each pod has been unhealthy, for `deregisterAfter` (Consul's
 * deregister_critical_service_after).
 *
 * The counters live only in memory: after a restart every pod starts a fresh streak, and a pod
 * loaded as unhealthy starts its `deregisterAfter` clock at its first check result.
 */
export class HealthGate {
  readonly #options: HealthGateOptions;
  readonly #entries = new Map<string, GateEntry>();

  constructor(options: HealthGateOptions) {
    for (const field of ['failureThreshold', 'successThreshold'] as const) {
      if (!Number.isInteger(options[field]) || options[field] < 1) {
        throw new RangeError(`[core] HealthGate: ${field} must be an integer of 1 or more`);
      }
    }
    if (!(options.deregisterAfter >= 0)) throw new RangeError('[core] HealthGate: deregisterAfter must be 0 or more');
    this.#options = options;
  }

  /** True when every feature is off: results then map straight to a status. */
  get passthrough(): boolean {
    const o = this.#options;
    return o.failureThreshold === 1 && o.successThreshold === 1 && o.deregisterAfter === 0;
  }

  /** Pods with counters. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records one check result of `key` and says which status the pod has now.
   * @param current the pod's stored status, used the first time the gate sees this pod.
   * @param now a millisecond clock (e.g. `Date.now()`).
   */
  observe(key: string, healthy: boolean, current: ServiceStatus, now: number): HealthVerdict {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { status: current, against: 0, unhealthySince: undefined };
      this.#entries.set(key, entry);
    }
    const observed: ServiceStatus = healthy ? 'healthy' : 'unhealthy';
    if (entry.status === 'unknown' || entry.status === observed) {
      entry.status = observed;
      entry.against = 0;
    } else {
      entry.against += 1;
      const needed = healthy ? this.#options.successThreshold : this.#options.failureThreshold;
      if (entry.against >= needed) {
        entry.status = observed;
        entry.against = 0;
      }
    }
    if (entry.status === 'unhealthy') entry.unhealthySince ??= now;
    else entry.unhealthySince = undefined;
    const unhealthyForMs = entry.unhealthySince === undefined ? 0 : now - entry.unhealthySince;
    const after = this.#options.deregisterAfter;
    return {
      status: entry.status === 'healthy' ? 'healthy' : 'unhealthy',
      deregister: after > 0 && entry.unhealthySince !== undefined && unhealthyForMs >= after,
      unhealthyForMs,
    };
  }

  /** Drops the counters of a pod (unregistered, deregistered). */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
