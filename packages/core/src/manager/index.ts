export { Manager, type ManagerEvents, type ManagerStats, type NotificationFailure } from './manager';
export type { RegisterOutcome, RegisterResult } from './batch-plan';
export {
  DEFAULT_MANAGER_CONFIG,
  resolveManagerConfig,
  type ManagerConfig,
  type ManagerConfigInput,
  type StoreRetryConfig,
} from './config';
export { silentLogger, type Logger } from './logger';
export { RevisionClock } from './revision';
export {
  HealthChecker,
  probeTarget,
  type HealthCheckerOptions,
  type ProbeResult,
} from './health-checker';
export {
  Notifier,
  type DeliveryMeta,
  type DeliveryTarget,
  type NotifierOptions,
} from './notifier';
