import type { EventEmitter } from 'eventemitter3';
import { cloneService, type ServiceInfo, type ServiceStatus } from '../model';
import type { RegisterResult } from './batch-plan';
import { logEvent } from './event-log';
import { silentLogger, type Logger } from './logger';
import type { SubscriberRecovered, SubscriberUnreachable } from './notifier';
import type { ProbeResult } from './probe';
import type { SelfPreservationState } from './self-preservation';

/** A notification that could not be delivered after its last retry. */
export interface NotificationFailure {
  subscriberKey: string;
  url: string;
  group: string;
  revision: number;
  error: Error;
  /** Time from queueing this payload for the subscriber to giving up, retries included, in ms. */
  durationMs: number;
}

/** A notification a subscriber accepted (answered 2xx). */
export interface NotificationDelivery {
  subscriberKey: string;
  url: string;
  group: string;
  revision: number;
  /** POSTs it took (1 + retries used). */
  attempts: number;
  /** Time from queueing this payload for the subscriber to its 2xx answer, retries included, in ms. */
  durationMs: number;
}

/** A group commit the store applied (one `applyBatch`, retries included). */
export interface CommitSummary {
  /** Lane items in the batch (registrations, unregistrations, health results). */
  changes: number;
  /** Store mutations written. */
  mutations: number;
  durationMs: number;
}

/** A `register`/`unregister` call that was refused or failed (validation, full queue, store, stopped). */
export interface RequestFailure {
  operation: 'register' | 'unregister';
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
  /** A subscriber accepted a notification. */
  notificationDelivered: (delivery: NotificationDelivery) => void;
  /** Every completed health check, healthy or not (after its retries). */
  healthChecked: (key: string, result: ProbeResult) => void;
  /** The store applied a group commit. */
  committed: (commit: CommitSummary) => void;
  /** A store write failed (also one that a retry then fixed); `transient` as the store classified it. */
  storeFailed: (error: Error, detail: { operation: string; transient: boolean }) => void;
  /** A `register` or `unregister` call was rejected. */
  requestFailed: (failure: RequestFailure) => void;
  /** A subscriber failed `notificationCircuitThreshold` deliveries in a row; it now gets one probe delivery at a time. */
  subscriberUnreachable: (info: SubscriberUnreachable) => void;
  /** An unreachable subscriber answered a probe delivery; its newest notifications go out now. */
  subscriberRecovered: (info: SubscriberRecovered) => void;
  /** A health check found the pod unhealthy (after its retries). */
  healthCheckFailed: (key: string, result: ProbeResult) => void;
  /** A periodic reconcile was sent: `groups` subscribed groups, `deliveries` targets in all. */
  reconciled: (summary: { groups: number; deliveries: number }) => void;
  /**
   * Self-preservation began (`active: true`: so many pods are unhealthy at once that
   * `deregisterAfter` is paused) or ended (`active: false`: deregistration works again).
   */
  selfPreservationChanged: (state: SelfPreservationState) => void;
  /** Something went wrong outside any caller's request (a background store write, a listener). */
  error: (error: Error) => void;
}

/**
 * How the engine's parts tell the host what happened: emits the manager's events with copies of
 * the records (listeners can never change the engine's view), and keeps a throwing listener
 * from reaching the engine; errors without an `error` listener go to the log.
 */
export class EventSink {
  readonly #emitter: EventEmitter<ManagerEvents>;
  readonly #logger: Logger;

  constructor(emitter: EventEmitter<ManagerEvents>, logger: Logger) {
    this.#emitter = emitter;
    this.#logger = logger;
  }

  /**
   * Logs `event` at its level (see `logEvent`) and emits it (no emitting work at all when nobody
   * listens). Listeners get copies of pod records.
   */
  emit<E extends keyof ManagerEvents>(event: E, ...args: Parameters<ManagerEvents[E]>): void {
    logEvent(this.#logger, event, args);
    const emitter = this.#emitter;
    if (emitter.listenerCount(event) === 0) return;
    const copies = args.map((a) => (isServiceInfo(a) ? cloneService(a) : a));
    try {
      (emitter.emit as (event: string, ...rest: unknown[]) => boolean)(event, ...copies);
    } catch (error) {
      if (event !== 'error') this.reportError(error, `a '${event}' listener threw`);
      else this.#logOrWarn(error instanceof Error ? error : new Error(String(error)), `an 'error' listener threw`);
    }
  }

  /**
   * An error outside any caller's request: the `error` event, or the log when nobody listens.
   * With neither a listener nor a logger it becomes a process warning (`GovernanceWarning`,
   * printed to stderr by Node), so it is never dropped silently.
   */
  reportError(error: unknown, context: string): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.#emitter.listenerCount('error') > 0) this.#emitError(err);
    else this.#logOrWarn(err, context);
  }

  #logOrWarn(err: Error, context: string): void {
    if (this.#logger === silentLogger) this.#warn(err, context);
    else this.#logger.error({ err }, `[core] ${context}`);
  }

  /**
   * {@link reportError} for an error the caller has logged already: only the `error` event, or
   * the process warning when there is neither a listener nor a logger.
   */
  surfaceLoggedError(error: Error, context: string): void {
    if (this.#emitter.listenerCount('error') > 0) this.#emitError(error);
    else if (this.#logger === silentLogger) this.#warn(error, context);
  }

  #emitError(err: Error): void {
    try {
      this.#emitter.emit('error', err);
    } catch (listenerError) {
      this.#logOrWarn(listenerError instanceof Error ? listenerError : new Error(String(listenerError)), `an 'error' listener threw`);
    }
  }

  #warn(err: Error, context: string): void {
    process.emitWarning(`[core] ${context}: ${err.message} (add a manager.on('error', …) listener or a logger to see these)`, {
      type: 'GovernanceWarning',
      code: 'GOVERNANCE_UNHANDLED_ERROR',
    });
  }
}

function isServiceInfo(value: unknown): value is ServiceInfo {
  return typeof value === 'object' && value !== null && 'registeredAt' in value && 'podName' in value;
}
