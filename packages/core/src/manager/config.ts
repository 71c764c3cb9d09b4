import { z } from 'zod';
import { ValidationError, type FieldError } from '../errors';
import { isLogger, silentLogger, type Logger } from './logger';

/** Bounded retry of transient store failures (connection lost, deadlock, timeout). */
export interface StoreRetryConfig {
  /** Extra attempts after the first one. 0 disables retrying. Default 2. */
  retries: number;
  /** Delay before the first retry in ms; doubled for each further retry. Default 50. */
  delayMs: number;
  /** Upper bound of any single delay in ms (at most 500). Default 200. */
  maxDelayMs: number;
}

/**
 * The manager's resolved configuration. All durations are in milliseconds.
 * The first six settings and their defaults are the Go library's.
 */
export interface ManagerConfig {
  /** Every pod is health-checked once per interval; the checks are spread across it. Default 30 000. */
  healthCheckInterval: number;
  /** Timeout of one health-check attempt. Default 5 000. */
  healthCheckTimeout: number;
  /** Extra attempts (with short backoff) before a pod counts as unhealthy. Default 3. */
  healthCheckRetry: number;
  /** Every subscribed group is sent a `reconcile` notification once per interval. Default 60 000. */
  notificationInterval: number;
  /** Timeout of one notification POST. Default 5 000. */
  notificationTimeout: number;
  /** Capacity of the ordered lane; `register`/`unregister` beyond it get `QueueFullError`. Default 1 000. */
  eventQueueSize: number;
  /** Health checks running at once. Default 512. */
  probeConcurrency: number;
  /** Notification POSTs running at once. Default 128. */
  notificationConcurrency: number;
  /** Extra attempts for a notification that failed transiently (network, timeout, 5xx, 429). Default 3. */
  notificationRetries: number;
  /** Most changes applied to the store in one group commit. Default 256. */
  maxBatchSize: number;
  /** How long `stop()` waits for queued changes and in-flight I/O before aborting them. Default 5 000. */
  stopTimeout: number;
  /** Retry of transient store failures; total waiting stays well under 5 s. */
  storeRetry: StoreRetryConfig;
  /** A pino-compatible logger. Default: silent. */
  logger: Logger;
}

/** What `new Manager(config)` accepts: every setting is optional. */
export type ManagerConfigInput = Partial<Omit<ManagerConfig, 'storeRetry'>> & {
  storeRetry?: Partial<StoreRetryConfig>;
};

/** The defaults (the Go library's for the settings it has). */
export const DEFAULT_MANAGER_CONFIG: Readonly<ManagerConfig> = Object.freeze({
  healthCheckInterval: 30_000,
  healthCheckTimeout: 5_000,
  healthCheckRetry: 3,
  notificationInterval: 60_000,
  notificationTimeout: 5_000,
  eventQueueSize: 1_000,
  probeConcurrency: 512,
  notificationConcurrency: 128,
  notificationRetries: 3,
  maxBatchSize: 256,
  stopTimeout: 5_000,
  storeRetry: Object.freeze({ retries: 2, delayMs: 50, maxDelayMs: 200 }),
  logger: silentLogger,
});

const DAY = 86_400_000;
const int = (min: number, max: number) => z.number().int().min(min).max(max);

const storeRetrySchema = z.strictObject({
  retries: int(0, 5).optional(),
  delayMs: int(0, 500).optional(),
  maxDelayMs: int(0, 500).optional(),
});

const configSchema = z.strictObject({
  healthCheckInterval: int(1, DAY).optional(),
  healthCheckTimeout: int(1, 10 * 60_000).optional(),
  healthCheckRetry: int(0, 10).optional(),
  notificationInterval: int(1, DAY).optional(),
  notificationTimeout: int(1, 10 * 60_000).optional(),
  eventQueueSize: int(1, 10_000_000).optional(),
  probeConcurrency: int(1, 100_000).optional(),
  notificationConcurrency: int(1, 100_000).optional(),
  notificationRetries: int(0, 20).optional(),
  maxBatchSize: int(1, 100_000).optional(),
  stopTimeout: int(0, 10 * 60_000).optional(),
  storeRetry: storeRetrySchema.optional(),
  logger: z.custom<Logger>(isLogger, { message: 'must have debug, info, warn and error methods' }).optional(),
});

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Validates a config input and fills in the defaults.
 * @throws ValidationError naming every bad field (`healthCheckInterval: …`).
 */
export function resolveManagerConfig(input: ManagerConfigInput = {}): ManagerConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const errors: FieldError[] = parsed.error.issues.map((issue) => ({
      path: fieldPath(issue.path),
      message: issue.message,
    }));
    throw new ValidationError(errors, { context: 'manager config' });
  }
  const v = parsed.data;
  const d = DEFAULT_MANAGER_CONFIG;
  const retry = { ...d.storeRetry, ...stripUndefined(v.storeRetry ?? {}) };
  if (retry.maxDelayMs < retry.delayMs) retry.maxDelayMs = retry.delayMs;
  return Object.freeze({
    ...d,
    ...stripUndefined(v),
    storeRetry: Object.freeze(retry),
    logger: v.logger ?? d.logger,
  }) as ManagerConfig;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
