import { z } from 'zod';
import { ValidationError, formatPath, type FieldError } from '../errors';
import { durationSchema, type DurationLimits } from './duration-setting';
import type { Duration } from '../duration';
import { apiTokensSchema, normalizeApiTokens, type ApiToken, type ApiTokenInput } from '../security/api-tokens';
import { DEFAULT_DENIED_RANGES, isCidr, type TargetPolicy } from '../security/target-policy';
import { WIRE_PROFILES, type WireProfile } from '../wire';
import { consoleLogger, isConsole } from './console-logger';
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
  /**
   * A pino-compatible logger (a pino logger or child passes as is). `console` also works: it is
   * given one readable line per entry, with debug lines only under `NODE_DEBUG=governance`.
   * Levels: debug each health check and delivery attempt; info registrations, status changes,
   * reconciles; warn notifications given up after their retries; error store failures.
   * Default: silent.
   */
  logger: Logger;
  /**
   * @deprecated Pass `tokens` to the HTTP handler or adapter instead (`governanceRouter(manager,
   * { tokens })`); the manager no longer carries transport settings. Still honoured, with a
   * deprecation warning, when the handler has no `tokens` of its own; removed in the next minor.
   */
  tokens: readonly ApiToken[];
  /** When set, every notification is signed (HMAC-SHA256 over timestamp + body). Default: unset. */
  notificationSecret: string | undefined;
  /** Outbound target policy for probes and notifications. */
  targetPolicy: TargetPolicy;
  /** Consecutive failed checks before a healthy pod becomes unhealthy. Default 1 (off). */
  failureThreshold: number;
  /** Consecutive passed checks before an unhealthy pod becomes healthy. Default 1 (off). */
  successThreshold: number;
  /** Remove a pod that stayed unhealthy this long (ms) and notify its subscribers. Default 0 (off). */
  deregisterAfter: number;
  /**
   * The JSON shapes of notifications and (unless the handler sets its own) of `GET /services`:
   * `native` (default; snake_case, bodies carry `revision`) or `go` (exactly what Go programs
   * decode; the revision travels in the `x-governance-revision` header, sent in both profiles).
   */
  wireProfile: WireProfile;
  /**
   * Cluster mode (docs/cluster.md). `'auto'` (default): when the store supports it (PostgreSQL,
   * MySQL/MariaDB), every manager on the same database joins one cluster and they act as one
   * registry; on a store that allows only one manager (MongoDB) a second one is refused at
   * `start()`. `false`: this deployment runs exactly one manager on the store (no membership, no
   * log tailing; writes are still logged) — only for deployments certain to run one replica.
   */
  cluster: 'auto' | false;
  /** Cluster lease (ms): takeover after a crash within about lease + lease / 3. Default 5 000. */
  clusterLease: number;
  /**
   * How often (ms) a replica polls the change log. Default: 1 000 when the store sends change
   * notifications (PostgreSQL LISTEN/NOTIFY; the poll is only the safety net), 250 otherwise (MySQL).
   */
  clusterPollInterval: number | undefined;
  /** Change-log entries older than this (ms) are pruned; a replica further behind reloads. Default 15 min. */
  clusterLogRetention: number;
  /** Cluster mode: how often (ms) a replica writes the check times of its healthy-as-before pods. Default 60 000. */
  healthFlushInterval: number;
  /** Notification POSTs to one subscriber (all its groups) at once. Default 2. */
  notificationSubscriberConcurrency: number;
  /**
   * Failed notification attempts in a row after which a subscriber counts as unreachable: its
   * circuit opens (`subscriberUnreachable` event) and it gets one probe delivery at a time, after
   * waits growing from 1 s to `notificationCircuitMaxBackoff`, until one is answered
   * (`subscriberRecovered`; its newest notifications go out then). Default 5.
   */
  notificationCircuitThreshold: number;
  /** Longest wait (ms) between probe deliveries to an unreachable subscriber. Default 60 000. */
  notificationCircuitMaxBackoff: number;
  /** Most bytes read of a health endpoint's or a subscriber's answer; the status decides and the connection is closed past it. Default 4 096. */
  responseBodyLimit: number;
  /**
   * `/health` reports degraded (503) when the oldest change waiting in the ordered lane has
   * waited longer than this (ms): writes are stuck, even if the store still answers a ping.
   * Default 10 000.
   */
  healthMaxWriteWait: number;
  /**
   * Self-preservation: when at least this share (0–1) of the checked pods (healthy + unhealthy)
   * is unhealthy, `deregisterAfter` is paused (statuses stay truthful) and
   * `selfPreservationChanged` is emitted. 0 = off. Default 0.5: half a fleet failing together is
   * far likelier the manager's own partition than that many pods dying, and deregistering them
   * would empty the registry when it is needed most.
   */
  selfPreservationThreshold: number;
  /** Self-preservation applies only with at least this many checked pods. Default 10. */
  selfPreservationMinPods: number;
  /** Pull mode: most SSE watch streams and blocking queries at once; beyond it they get 503. Default 10 000. */
  maxWatchers: number;
}

/** The settings that are durations: each accepts milliseconds or a string such as `'30s'`. */
export type DurationSetting =
  | 'healthCheckInterval'
  | 'healthCheckTimeout'
  | 'notificationInterval'
  | 'notificationTimeout'
  | 'stopTimeout'
  | 'deregisterAfter'
  | 'clusterLease'
  | 'clusterPollInterval'
  | 'clusterLogRetention'
  | 'healthFlushInterval'
  | 'notificationCircuitMaxBackoff'
  | 'healthMaxWriteWait';

/**
 * What `new Manager(config, store)` accepts: every setting is optional, and every duration is a
 * number of milliseconds or a Go-style duration string (`'500ms'`, `'30s'`, `'1m30s'`).
 */
export type ManagerConfigInput = Partial<Omit<ManagerConfig, 'storeRetry' | 'tokens' | 'targetPolicy' | DurationSetting>> & {
  [K in DurationSetting]?: Duration;
} & {
  storeRetry?: Partial<StoreRetryConfig>;
  /** @deprecated Pass `tokens` to the HTTP handler or adapter instead. */
  tokens?: readonly ApiTokenInput[];
  targetPolicy?: Partial<TargetPolicy>;
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
  tokens: Object.freeze([]),
  notificationSecret: undefined,
  targetPolicy: Object.freeze({
    schemes: ['http', 'https', 'tcp'],
    allow: [],
    deny: [...DEFAULT_DENIED_RANGES],
  }),
  failureThreshold: 1,
  successThreshold: 1,
  deregisterAfter: 0,
  wireProfile: 'native',
  cluster: 'auto',
  clusterLease: 5_000,
  clusterPollInterval: undefined,
  clusterLogRetention: 15 * 60_000,
  healthFlushInterval: 60_000,
  notificationSubscriberConcurrency: 2,
  notificationCircuitThreshold: 5,
  notificationCircuitMaxBackoff: 60_000,
  responseBodyLimit: 4096,
  healthMaxWriteWait: 10_000,
  maxWatchers: 10_000,
  selfPreservationThreshold: 0.5,
  selfPreservationMinPods: 10,
});

const DAY = 86_400_000;
const int = (min: number, max: number) => z.number().int().min(min).max(max);

const storeRetrySchema = z.strictObject({
  retries: int(0, 5).optional(),
  delayMs: int(0, 500).optional(),
  maxDelayMs: int(0, 500).optional(),
});

/**
 * Bounds of the duration settings. The minimums catch seconds written as milliseconds
 * (`healthCheckInterval: 30` would probe every 30 ms); the message suggests the unit.
 */
export const DURATION_LIMITS: Readonly<Record<DurationSetting, DurationLimits>> = Object.freeze({
  healthCheckInterval: { min: 100, max: DAY },
  healthCheckTimeout: { min: 50, max: 10 * 60_000 },
  notificationInterval: { min: 100, max: DAY },
  notificationTimeout: { min: 50, max: 10 * 60_000 },
  stopTimeout: { min: 0, max: 10 * 60_000 },
  deregisterAfter: { min: 0, max: 365 * DAY },
  clusterLease: { min: 1_000, max: 10 * 60_000 },
  clusterPollInterval: { min: 10, max: 60_000 },
  clusterLogRetention: { min: 60_000, max: 30 * DAY },
  healthFlushInterval: { min: 1_000, max: DAY },
  notificationCircuitMaxBackoff: { min: 1_000, max: DAY },
  healthMaxWriteWait: { min: 100, max: DAY },
});

const configSchema = z.strictObject({
  healthCheckInterval: durationSchema(DURATION_LIMITS.healthCheckInterval).optional(),
  healthCheckTimeout: durationSchema(DURATION_LIMITS.healthCheckTimeout).optional(),
  healthCheckRetry: int(0, 10).optional(),
  notificationInterval: durationSchema(DURATION_LIMITS.notificationInterval).optional(),
  notificationTimeout: durationSchema(DURATION_LIMITS.notificationTimeout).optional(),
  eventQueueSize: int(1, 10_000_000).optional(),
  probeConcurrency: int(1, 100_000).optional(),
  notificationConcurrency: int(1, 100_000).optional(),
  notificationRetries: int(0, 20).optional(),
  maxBatchSize: int(1, 100_000).optional(),
  stopTimeout: durationSchema(DURATION_LIMITS.stopTimeout).optional(),
  storeRetry: storeRetrySchema.optional(),
  logger: z.custom<Logger>(isLogger, { message: 'must have debug, info, warn and error methods' }).optional(),
  tokens: apiTokensSchema.optional(),
  notificationSecret: z.string().min(16, 'must be at least 16 characters').max(1024).optional(),
  targetPolicy: z
    .strictObject({
      schemes: z.array(z.enum(['http', 'https', 'tcp'])).min(1).optional(),
      allow: z.array(z.string().refine(isCidr, 'must be a CIDR range like 10.0.0.0/8 or fd00::/8')).optional(),
      deny: z.array(z.string().refine(isCidr, 'must be a CIDR range like 10.0.0.0/8 or fd00::/8')).optional(),
    })
    .optional(),
  failureThreshold: int(1, 100).optional(),
  successThreshold: int(1, 100).optional(),
  deregisterAfter: durationSchema(DURATION_LIMITS.deregisterAfter).optional(),
  cluster: z.union([z.literal('auto'), z.literal(false)], { error: "must be 'auto' or false" }).optional(),
  clusterLease: durationSchema(DURATION_LIMITS.clusterLease).optional(),
  clusterPollInterval: durationSchema(DURATION_LIMITS.clusterPollInterval).optional(),
  clusterLogRetention: durationSchema(DURATION_LIMITS.clusterLogRetention).optional(),
  healthFlushInterval: durationSchema(DURATION_LIMITS.healthFlushInterval).optional(),
  notificationSubscriberConcurrency: int(1, 1_000).optional(),
  notificationCircuitThreshold: int(1, 1_000).optional(),
  notificationCircuitMaxBackoff: durationSchema(DURATION_LIMITS.notificationCircuitMaxBackoff).optional(),
  responseBodyLimit: int(1, 16 * 1024 * 1024).optional(),
  healthMaxWriteWait: durationSchema(DURATION_LIMITS.healthMaxWriteWait).optional(),
  maxWatchers: int(0, 1_000_000).optional(),
  selfPreservationThreshold: z.number().min(0).max(1).optional(),
  selfPreservationMinPods: int(1, 10_000_000).optional(),
  wireProfile: z.enum(WIRE_PROFILES as [WireProfile, ...WireProfile[]], { error: `must be one of ${WIRE_PROFILES.join(', ')}` }).optional(),
});

/**
 * Validates a config input and fills in the defaults.
 * @throws ValidationError naming every bad field (`healthCheckInterval: …`).
 */
export function resolveManagerConfig(input: ManagerConfigInput = {}): ManagerConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const errors: FieldError[] = parsed.error.issues.map((issue) => ({
      path: formatPath(issue.path),
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
    logger: v.logger === undefined ? d.logger : isConsole(v.logger) ? consoleLogger(v.logger) : v.logger,
    tokens: normalizeApiTokens(v.tokens ?? []),
    targetPolicy: Object.freeze({ ...d.targetPolicy, ...stripUndefined(v.targetPolicy ?? {}) }),
  }) as ManagerConfig;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The text of the deprecation warning for `ManagerConfig.tokens`. */
export const MANAGER_TOKENS_DEPRECATION =
  '[core] the manager setting `tokens` is deprecated: pass them to the HTTP handler or adapter instead ' +
  '(governanceRouter(manager, { tokens }), governanceKoa, createNodeListener, createGovernanceHandler); ' +
  'it still works in this minor and is removed in the next one';

let tokensDeprecationEmitted = false;

/**
 * Reports the deprecated `tokens` setting: in the manager's log every time, and once per process
 * as a Node `DeprecationWarning` (code `GOVERNANCE_MANAGER_TOKENS`).
 */
export function warnManagerTokensDeprecated(logger: Logger): void {
  logger.warn({}, MANAGER_TOKENS_DEPRECATION);
  if (tokensDeprecationEmitted) return;
  tokensDeprecationEmitted = true;
  process.emitWarning(MANAGER_TOKENS_DEPRECATION, { type: 'DeprecationWarning', code: 'GOVERNANCE_MANAGER_TOKENS' });
}
