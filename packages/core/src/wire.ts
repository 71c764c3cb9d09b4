/**
 * The JSON wire formats, and the only place where they are converted to and from the camelCase
 * model: the snake_case API of the Go manager (the native profile, which may add fields such as
 * a notification's `revision`), and the Go profile, which gives Go programs exactly the shapes
 * their structs decode. Validation of wire input lives in `validation/`.
 */
import { ValidationError, type FieldError } from './errors';
import { copyProviders, type EventType, type NotificationPayload, type NotificationPod, type Protocol, type ServiceInfo, type ServiceRegistration, type ServiceStatus } from './model';

/** One provider endpoint on the wire (the same field names as {@link Provider}). */
export interface WireProvider {
  protocol: Protocol;
  ip: string;
  port: number;
}

/** The body of `POST /register`, as Go services send it. */
export interface WireRegistration {
  service_name: string;
  pod_name: string;
  providers: WireProvider[];
  health_check_url: string;
  notification_url: string;
  subscriptions: string[];
  /** TTL (heartbeat) check in ms (native profile; input also takes a duration string such as "15s"). */
  ttl?: number;
}

/**
 * A registered pod on the wire (an entry of `GET /services`). Times are RFC 3339 strings in UTC
 * with milliseconds (`2026-01-02T03:04:05.678Z`).
 */
export interface WireServiceInfo extends WireRegistration {
  status: ServiceStatus;
  last_health_check: string;
  registered_at: string;
  updated_at: string;
}

/** Top-level fields of a pod record: camelCase model name → snake_case wire name. */
export const WIRE_FIELD_NAMES = Object.freeze({
  serviceName: 'service_name',
  podName: 'pod_name',
  providers: 'providers',
  healthCheckUrl: 'health_check_url',
  notificationUrl: 'notification_url',
  subscriptions: 'subscriptions',
  ttl: 'ttl',
  status: 'status',
  lastHealthCheck: 'last_health_check',
  registeredAt: 'registered_at',
  updatedAt: 'updated_at',
} as const satisfies Record<keyof ServiceInfo, string>);

/** The reverse of {@link WIRE_FIELD_NAMES}: snake_case wire name → camelCase model name. */
export const MODEL_FIELD_NAMES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(WIRE_FIELD_NAMES).map(([model, wire]) => [wire, model])),
);

/** The wire form of a registration (fresh arrays; nothing is shared with the input). */
export function toWireRegistration(reg: ServiceRegistration): WireRegistration {
  return {
    service_name: reg.serviceName,
    pod_name: reg.podName,
    providers: copyProviders(reg.providers),
    health_check_url: reg.healthCheckUrl,
    notification_url: reg.notificationUrl,
    subscriptions: reg.subscriptions.slice(),
    ...(reg.ttl === undefined ? {} : { ttl: reg.ttl }),
  };
}

/**
 * The same values under the wire's field names, nothing copied or checked: how validation puts
 * a camelCase registration given in code in front of the one (snake_case) schema. Reads each
 * field once, so a throwing getter throws here.
 */
export function renameToWire(reg: object): Record<string, unknown> {
  const source = reg as Record<string, unknown>;
  return {
    service_name: source.serviceName,
    pod_name: source.podName,
    providers: source.providers,
    health_check_url: source.healthCheckUrl,
    notification_url: source.notificationUrl,
    subscriptions: source.subscriptions,
    ttl: source.ttl,
  };
}

/**
 * The model form of an already validated wire registration. It does not validate: use
 * `parseRegistration` for anything that came from outside.
 */
export function fromWireRegistration(wire: WireRegistration): ServiceRegistration {
  return {
    serviceName: wire.service_name,
    podName: wire.pod_name,
    providers: copyProviders(wire.providers),
    healthCheckUrl: wire.health_check_url,
    notificationUrl: wire.notification_url,
    subscriptions: wire.subscriptions ? wire.subscriptions.slice() : [],
    ...(wire.ttl === undefined || wire.ttl === null ? {} : { ttl: wire.ttl }),
  };
}

function wireTime(date: Date, field: keyof typeof WIRE_FIELD_NAMES, errors: FieldError[]): string {
  if (date instanceof Date && !Number.isNaN(date.getTime())) return date.toISOString();
  errors.push({ path: field, message: 'must be a valid Date' });
  return '';
}

/**
 * The wire form of a registered pod, times as RFC 3339 UTC strings with milliseconds.
 * Throws `ValidationError` (camelCase paths) when one of its dates is invalid.
 */
export function toWireService(info: ServiceInfo): WireServiceInfo {
  const errors: FieldError[] = [];
  const wire: WireServiceInfo = {
    service_name: info.serviceName,
    pod_name: info.podName,
    providers: copyProviders(info.providers),
    health_check_url: info.healthCheckUrl,
    notification_url: info.notificationUrl,
    subscriptions: info.subscriptions.slice(),
    status: info.status,
    last_health_check: wireTime(info.lastHealthCheck, 'lastHealthCheck', errors),
    registered_at: wireTime(info.registeredAt, 'registeredAt', errors),
    updated_at: wireTime(info.updatedAt, 'updatedAt', errors),
    ...(info.ttl === undefined ? {} : { ttl: info.ttl }),
  };
  if (errors.length > 0) throw new ValidationError(errors, { context: 'service record' });
  return wire;
}

/** RFC 3339 date-time with a mandatory offset and optional fraction (Go's time.RFC3339Nano). */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 wire time; `undefined` when it is not a real one (month 13, February 30,
 * hour 24, no offset). Fractions beyond milliseconds (Go writes nanoseconds) are truncated, as a
 * `Date` keeps milliseconds only.
 */
export function parseWireTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offsetHours = m[9] ? Number(m[9]) : 0;
  const offsetMinutes = m[10] ? Number(m[10]) : 0;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  const sign = m[8] === '-' ? -1 : 1;
  const time = utc.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return Number.isNaN(time) ? undefined : new Date(time);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * The model form of a wire pod record. Checks the three times (RFC 3339) and throws
 * `ValidationError` with their wire paths when one is not valid; the registration fields are
 * taken as they are (use `parseServiceInfo` for a fully validated read of untrusted input).
 */
export function fromWireService(wire: WireServiceInfo): ServiceInfo {
  const errors: FieldError[] = [];
  const time = (value: unknown, field: string): Date => {
    const date = parseWireTime(value);
    if (date) return date;
    errors.push({ path: field, message: 'must be an RFC 3339 date-time with offset (2026-01-02T03:04:05.678Z)' });
    return new Date(Number.NaN);
  };
  const info: ServiceInfo = {
    ...fromWireRegistration(wire),
    status: wire.status,
    lastHealthCheck: time(wire.last_health_check, 'last_health_check'),
    registeredAt: time(wire.registered_at, 'registered_at'),
    updatedAt: time(wire.updated_at, 'updated_at'),
  };
  if (errors.length > 0) throw new ValidationError(errors, { context: 'service record' });
  return info;
}

/** One pod as it appears inside a notification payload. */
export function toNotificationPod(info: ServiceInfo): NotificationPod {
  return { pod_name: info.podName, status: info.status, providers: copyProviders(info.providers) };
}

/**
 * Which JSON shapes the manager speaks where the Go manager's differ from ours:
 * - `native` (default): snake_case everywhere, notification bodies carry `revision`, times with
 *   milliseconds (`2026-01-02T03:04:05.600Z`);
 * - `go`: exactly what Go programs decode with a strict decoder: notification bodies hold only
 *   the Go payload's fields (the revision travels in a header in both profiles), and
 *   `GET /services` lists pods under the Go `ServiceInfo` field names (`ServiceName`, `PodName`,
 *   …, no `UpdatedAt`) with Go's time format (`2026-01-02T03:04:05.6Z`).
 */
export type WireProfile = 'native' | 'go';

/**
 * The header that carries a notification's revision, in both profiles (a Go-profile body has no
 * `revision` field). Covered by the signature when notifications are signed.
 */
export const NOTIFICATION_REVISION_HEADER = 'x-governance-revision';

/** The wire profiles, for validation of the setting. */
export const WIRE_PROFILES: readonly WireProfile[] = Object.freeze(['native', 'go']);

/**
 * A pod record as the Go manager's `ServiceInfo` serializes it (no JSON tags, so Go's field
 * names; its providers carry tags, so they keep `protocol`/`ip`/`port`).
 */
export interface GoServiceInfo {
  ServiceName: string;
  PodName: string;
  Providers: WireProvider[];
  HealthCheckURL: string;
  NotificationURL: string;
  Subscriptions: string[];
  Status: ServiceStatus;
  LastHealthCheck: string;
  RegisteredAt: string;
}

/**
 * A time as Go's `time.Time` marshals it (RFC 3339 with the fraction's trailing zeros removed,
 * and no fraction at all when it is zero): `2026-01-02T03:04:05.6Z`, `2026-01-02T03:04:05Z`.
 */
export function toGoTime(date: Date): string {
  return date.toISOString().replace(/\.?0+Z$/, 'Z');
}

/** A pod record in the Go profile. */
export function toGoService(info: ServiceInfo): GoServiceInfo {
  return {
    ServiceName: info.serviceName,
    PodName: info.podName,
    Providers: copyProviders(info.providers),
    HealthCheckURL: info.healthCheckUrl,
    NotificationURL: info.notificationUrl,
    Subscriptions: info.subscriptions.slice(),
    Status: info.status,
    LastHealthCheck: toGoTime(info.lastHealthCheck),
    RegisteredAt: toGoTime(info.registeredAt),
  };
}

/**
 * The notification body for one group: its current pods and the change that caused it. The
 * native profile adds `revision`; the Go profile has exactly the Go payload's fields (the
 * revision is sent in a header either way).
 */
export function toNotificationPayload(
  profile: WireProfile,
  group: string,
  eventType: EventType,
  pods: readonly ServiceInfo[],
  at: Date,
  revision: number,
): NotificationPayload {
  const wirePods: NotificationPod[] = new Array(pods.length);
  for (let i = 0; i < pods.length; i++) wirePods[i] = toNotificationPod(pods[i]!);
  if (profile === 'go') return { service_name: group, event_type: eventType, timestamp: toGoTime(at), pods: wirePods };
  return { service_name: group, event_type: eventType, timestamp: at.toISOString(), pods: wirePods, revision };
}

/** The answer of `GET /services`, in the profile's record format. */
export function toWireServiceList(
  profile: WireProfile,
  services: readonly ServiceInfo[],
): { count: number; services: WireServiceInfo[] | GoServiceInfo[] } {
  return { count: services.length, services: profile === 'go' ? services.map(toGoService) : services.map(toWireService) };
}

/** The answer of `GET /services/:serviceName` (a route of ours, the same in both profiles). */
export function toWireServiceGroup(
  serviceName: string,
  pods: readonly ServiceInfo[],
): { service_name: string; count: number; pods: WireServiceInfo[] } {
  return { service_name: serviceName, count: pods.length, pods: pods.map(toWireService) };
}

/** The answer of a successful `DELETE /unregister`. */
export function toWireUnregistered(serviceName: string, podName: string): { status: 'unregistered'; service_name: string; pod_name: string } {
  return { status: 'unregistered', service_name: serviceName, pod_name: podName };
}
