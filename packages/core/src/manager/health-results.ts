import type { LaneItem } from './batch-plan';
import type { EventSink } from './events';
import type { HealthGate } from './health-gate';
import type { Lane } from './lane';
import { debugEnabled } from './log-levels';
import type { Logger } from './logger';
import type { ProbeResult } from './probe';
import type { RegistryView } from './registry-view';
import type { SelfPreservation } from './self-preservation';

/** What {@link HealthResults} works with. */
export interface HealthResultsOptions {
  view: RegistryView;
  /** The anti-flapping gate; `undefined` when thresholds and `deregisterAfter` are off. */
  gate: HealthGate | undefined;
  lane: Lane<LaneItem>;
  events: EventSink;
  logger: Logger;
  /** Pauses deregistration while a large share of the fleet is unhealthy; `undefined` when off. */
  preservation?: SelfPreservation;
  /** False once the manager stops: no deregistration is started then. */
  isRunning(): boolean;
  /**
   * Cluster mode: results count only while this replica owns the pod, and a result that keeps
   * the pod's status is not written through the lane (nothing any other replica needs to see):
   * the view takes its time, and the owner writes check times in a coarse flush.
   */
  cluster?: { owns(key: string): boolean; noteCheckTime(key: string, at: Date): void };
}

/**
 * Turns each completed health check into a change for the ordered lane: the gate decides the
 * pod's status (thresholds), the result replaces any older one of the same pod still waiting,
 * and a pod unhealthy for longer than `deregisterAfter` is unregistered through the lane.
 */
export class HealthResults {
  readonly #o: HealthResultsOptions;
  #lastResultAt: Date | undefined;

  constructor(options: HealthResultsOptions) {
    this.#o = options;
  }

  /**
   * The health checker's `onResult`. `checkedAt` is the time recorded as the pod's last check
   * (default now; a TTL pod's last heartbeat).
   */
  onResult(key: string, result: ProbeResult, checkedAt?: Date): void {
    const { gate, view, lane, events, logger, cluster } = this.#o;
    if (cluster !== undefined && !cluster.owns(key)) return;
    events.emit('healthChecked', key, result);
    if (debugEnabled(logger)) {
      const { healthy, attempts, durationMs, error } = result;
      logger.debug({ key, healthy, attempts, durationMs, error }, healthy ? '[core] health check passed' : '[core] health check failed');
    }
    if (!result.healthy) events.emit('healthCheckFailed', key, result);
    this.#o.preservation?.update();
    const at = checkedAt ?? this.#resultTime();
    let healthy = result.healthy;
    if (gate !== undefined) {
      const current = view.get(key);
      if (current === undefined) return;
      const verdict = gate.observe(key, healthy, current.status, Date.now());
      if (verdict.deregister && this.#o.preservation?.active !== true && this.#deregister(key, verdict.unhealthyForMs)) return;
      healthy = verdict.status === 'healthy';
    }
    if (cluster !== undefined) {
      const current = view.get(key);
      if (current === undefined) return;
      if (current.status === (healthy ? 'healthy' : 'unhealthy')) {
        view.set({ ...current, lastHealthCheck: at });
        cluster.noteCheckTime(key, at);
        return;
      }
    }
    lane.pushKeyed(key, { kind: 'health', key, healthy, at });
  }

  /** One Date per millisecond, shared by the results that arrive in it (records never mutate dates). */
  #resultTime(): Date {
    const ms = Date.now();
    if (this.#lastResultAt === undefined || this.#lastResultAt.getTime() !== ms) this.#lastResultAt = new Date(ms);
    return this.#lastResultAt;
  }

  /** Removes a pod that stayed unhealthy too long, through the lane like an unregister. */
  #deregister(key: string, unhealthyForMs: number): boolean {
    const { view, lane, events, logger } = this.#o;
    const service = view.get(key);
    if (service === undefined || !this.#o.isRunning()) return false;
    const settled = (found: boolean): void => {
      if (!found) return;
      logger.info({ key, unhealthyForMs }, '[core] deregistered a pod that stayed unhealthy');
      events.emit('deregistered', service, { unhealthyForMs });
    };
    try {
      lane.push({
        kind: 'unregister',
        key,
        resolve: settled,
        reject: (error: unknown) => events.reportError(error, `deregistering ${key} failed; retried at its next check`),
      });
      return true;
    } catch (error) {
      logger.warn({ err: error, key }, '[core] could not queue a deregistration; retried at the next check');
      return false;
    }
  }
}
