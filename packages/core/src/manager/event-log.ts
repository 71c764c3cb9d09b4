import { keyOf, type ServiceInfo } from '../model';
import type { ManagerEvents } from './events';
import { debugEnabled } from './log-levels';
import { silentLogger, type Logger } from './logger';

/**
 * Writes the manager's events to its log, at the level an operator needs: registrations,
 * unregistrations, status changes and reconciles that sent something at `info`; unchanged
 * re-registrations and empty reconciles at `debug`; a notification given up after its retries
 * at `warn`. (`error` events are logged by the event sink; deregistrations by the health results.)
 */
export function logEvent<E extends keyof ManagerEvents>(logger: Logger, event: E, args: Parameters<ManagerEvents[E]>): void {
  if (logger === silentLogger) return;
  switch (event) {
    case 'registered': {
      const [service, outcome] = args as Parameters<ManagerEvents['registered']>;
      if (outcome === 'unchanged') {
        if (debugEnabled(logger)) logger.debug({ key: keyOf(service), outcome }, '[core] pod re-registered unchanged');
      } else {
        logger.info(podFields(service, { outcome }), outcome === 'created' ? '[core] pod registered' : '[core] pod updated');
      }
      return;
    }
    case 'unregistered': {
      const [service] = args as Parameters<ManagerEvents['unregistered']>;
      logger.info(podFields(service), '[core] pod unregistered');
      return;
    }
    case 'statusChanged': {
      const [service, previous] = args as Parameters<ManagerEvents['statusChanged']>;
      logger.info({ key: keyOf(service), from: previous, to: service.status }, `[core] pod is ${service.status}`);
      return;
    }
    case 'reconciled': {
      const [summary] = args as Parameters<ManagerEvents['reconciled']>;
      if (summary.deliveries > 0) logger.info(summary, '[core] reconcile sent');
      else if (debugEnabled(logger)) logger.debug(summary, '[core] reconcile: no subscribers');
      return;
    }
    case 'notificationFailed': {
      const [failure] = args as Parameters<ManagerEvents['notificationFailed']>;
      const { error, ...where } = failure;
      const attempts = (error as { attempts?: unknown }).attempts;
      const status = (error as { status?: unknown }).status;
      logger.warn({ ...where, attempts, status, err: error }, '[core] notification given up');
      return;
    }
    case 'selfPreservationChanged': {
      const [state] = args as Parameters<ManagerEvents['selfPreservationChanged']>;
      if (state.active) logger.warn(state, '[core] self-preservation on: too many pods unhealthy at once, deregisterAfter paused');
      else logger.info(state, '[core] self-preservation off: deregisterAfter resumes');
      return;
    }
    default:
      return;
  }
}

function podFields(service: ServiceInfo, extra?: object): object {
  return { key: keyOf(service), healthCheckUrl: service.healthCheckUrl, status: service.status, ...extra };
}
