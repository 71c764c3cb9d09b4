import type { EventEmitter } from 'eventemitter3';
import { cloneService, type ServiceInfo, type ServiceStatus } from '../model';
import type { RegisterResult } from './batch-plan';
import type { Logger } from './logger';
import type { SubscriberRecovered, SubscriberUnreachable } from './notifier';
import type { ProbeResult } from './probe';

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
  /** A subscriber failed `notificationCircuitThreshold` deliveries in a row; it now gets one probe delivery at a time. */
  subscriberUnreachable: (info: SubscriberUnreachable) => void;
  /** An unreachable subscriber answered a probe delivery; its newest notifications go out now. */
  subscriberRecovered: (info: SubscriberRecovered) => void;
  /** A health check found the pod unhealthy (after its retries). */
  healthCheckFailed: (key: string, result: ProbeResult) => void;
  /** A periodic reconcile was sent: `groups` subscribed groups, `deliveries` targets in all. */
  reconciled: (summary: { groups: number; deliveries: number }) => void;
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

  /** Emits `event` (no work at all when nobody listens). Listeners get copies of pod records. */
  emit<E extends keyof ManagerEvents>(event: E, ...args: Parameters<ManagerEvents[E]>): void {
    const emitter = this.#emitter;
    if (emitter.listenerCount(event) === 0) return;
    const copies = args.map((a) => (isServiceInfo(a) ? cloneService(a) : a));
    try {
      (emitter.emit as (event: string, ...rest: unknown[]) => boolean)(event, ...copies);
    } catch (error) {
      if (event !== 'error' && emitter.listenerCount('error') > 0) {
        this.reportError(error, `a '${event}' listener threw`);
      } else {
        this.#logger.error({ err: error, event }, `[core] a '${event}' listener threw`);
      }
    }
  }

  /** An error outside any caller's request: the `error` event, or the log when nobody listens. */
  reportError(error: unknown, context: string): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.#emitter.listenerCount('error') === 0) {
      this.#logger.error({ err }, `[core] ${context}`);
      return;
    }
    try {
      this.#emitter.emit('error', err);
    } catch (listenerError) {
      this.#logger.error({ err: listenerError, cause: err }, `[core] an 'error' listener threw`);
    }
  }
}

function isServiceInfo(value: unknown): value is ServiceInfo {
  return typeof value === 'object' && value !== null && 'registeredAt' in value && 'podName' in value;
}
