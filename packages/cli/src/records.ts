/**
 * Reading pod records from outside (an NDJSON line, a manager's `GET /services`): the native
 * snake_case wire shape or the Go manager's PascalCase one, validated with the same rules as
 * `POST /register` plus `status` and the RFC 3339 times.
 */
import {
  ValidationError,
  fromWireService,
  parseRegistration,
  toWireRegistration,
  toWireService,
  type FieldError,
  type ServiceInfo,
  type ServiceRegistration,
  type ServiceStatus,
  type WireServiceInfo,
} from '@governance/core';

const STATUSES: Readonly<Record<ServiceStatus, true>> = { healthy: true, unhealthy: true, unknown: true };

/** The Go manager's untagged `ServiceInfo` field names → our wire names. */
const GO_FIELDS: Readonly<Record<string, string>> = {
  ServiceName: 'service_name',
  PodName: 'pod_name',
  Providers: 'providers',
  HealthCheckURL: 'health_check_url',
  NotificationURL: 'notification_url',
  Subscriptions: 'subscriptions',
  Status: 'status',
  LastHealthCheck: 'last_health_check',
  RegisteredAt: 'registered_at',
  UpdatedAt: 'updated_at',
};

const GO_PROVIDER_FIELDS: Readonly<Record<string, string>> = { Protocol: 'protocol', IP: 'ip', Port: 'port' };

const STATE_FIELDS = ['status', 'last_health_check', 'registered_at', 'updated_at'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function renameKeys(value: Record<string, unknown>, names: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[names[key] ?? key] = v;
  return out;
}

/**
 * The record in native snake_case shape. A Go-profile record (`ServiceName`, `PodName`, …, its
 * providers possibly `Protocol`/`IP`/`Port`) is renamed; without `UpdatedAt` (Go has none) the
 * update time is taken to be `RegisteredAt`.
 */
export function toNativeShape(value: unknown): unknown {
  if (!isPlainObject(value) || !('ServiceName' in value || 'PodName' in value)) return value;
  const out = renameKeys(value, GO_FIELDS);
  if (Array.isArray(out.providers)) {
    out.providers = out.providers.map((p: unknown) => (isPlainObject(p) ? renameKeys(p, GO_PROVIDER_FIELDS) : p));
  }
  if (out.updated_at === undefined && out.registered_at !== undefined) out.updated_at = out.registered_at;
  return out;
}

/** Only the three times of a record, checked by `fromWireService` (registration fields are not looked at). */
function readTimes(record: Record<string, unknown>): Pick<ServiceInfo, 'lastHealthCheck' | 'registeredAt' | 'updatedAt'> | FieldError[] {
  try {
    const info = fromWireService({
      ...toWireRegistration({ serviceName: '', podName: '', providers: [], healthCheckUrl: '', notificationUrl: '', subscriptions: [] }),
      status: 'unknown',
      last_health_check: record.last_health_check,
      registered_at: record.registered_at,
      updated_at: record.updated_at,
    } as WireServiceInfo);
    return { lastHealthCheck: info.lastHealthCheck, registeredAt: info.registeredAt, updatedAt: info.updatedAt };
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
}

/**
 * Validates one pod record and returns it in model form.
 *
 * - The registration fields follow exactly the rules of `POST /register` (`parseRegistration`).
 * - A record with none of `status`, `last_health_check`, `registered_at`, `updated_at` is a bare
 *   registration: it gets status `unknown` and `now` for its times. A record with any of them must
 *   have all of them valid (`status` one of healthy, unhealthy, unknown; RFC 3339 times).
 *
 * @throws ValidationError listing every problem with its wire path (`providers[0].port`).
 */
export function parsePodRecord(value: unknown, now: Date): ServiceInfo {
  const record = toNativeShape(value);
  const errors: FieldError[] = [];
  let registration: ServiceRegistration | undefined;
  try {
    registration = parseRegistration(record);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(...error.errors);
  }
  if (!isPlainObject(record)) throw new ValidationError(errors, { context: 'pod record', package: 'cli' });

  let state: Pick<ServiceInfo, 'status' | 'lastHealthCheck' | 'registeredAt' | 'updatedAt'> | undefined;
  if (STATE_FIELDS.every((field) => record[field] === undefined)) {
    state = { status: 'unknown', lastHealthCheck: now, registeredAt: now, updatedAt: now };
  } else {
    const status = record.status;
    const statusOk = typeof status === 'string' && Object.hasOwn(STATUSES, status);
    if (!statusOk) {
      errors.push({ path: 'status', message: status === undefined ? 'is required' : `must be one of ${Object.keys(STATUSES).join(', ')}` });
    }
    const times = readTimes(record);
    if (Array.isArray(times)) errors.push(...times);
    else if (statusOk) state = { status: status as ServiceStatus, ...times };
  }
  if (errors.length > 0 || registration === undefined || state === undefined) {
    throw new ValidationError(errors, { context: 'pod record', package: 'cli' });
  }
  return { ...registration, ...state };
}

/**
 * A pod read from a store, checked by the same rules as one read from a file (a hand-edited
 * table may hold what `/register` would refuse). Returns the normalised pod.
 *
 * @throws ValidationError listing every problem with its wire path.
 */
export function checkStoredPod(pod: ServiceInfo): ServiceInfo {
  return parsePodRecord(toWireService(pod), pod.updatedAt);
}
