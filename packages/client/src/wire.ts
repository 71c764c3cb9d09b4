/**
 * The client's own copy of the registry model and the snake_case wire format of the manager's
 * HTTP API. The client has no dependency on `@governance/core`: these types mirror its model,
 * and every conversion between camelCase and snake_case happens in this file.
 */

/** Protocols a provider endpoint may speak (the Go library's set). */
export const PROTOCOLS = ['http', 'tcp', 'pfcp', 'gtp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Health states of a pod. A pod is `unknown` until its first health check completes. */
export const SERVICE_STATUSES = ['healthy', 'unhealthy', 'unknown'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

/** Kinds of notification the manager sends to subscribers. */
export const EVENT_TYPES = ['register', 'unregister', 'update', 'reconcile'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One endpoint a pod offers. Same shape on the wire and in TypeScript. */
export interface Provider {
  protocol: Protocol;
  ip: string;
  port: number;
}

/** What a pod registers, in camelCase. */
export interface ServiceRegistration {
  serviceName: string;
  podName: string;
  providers: Provider[];
  /**
   * `http(s)://…` URL answered with 2xx when healthy, or `tcp://host:port` for a connect check;
   * `''` for a pod that sends heartbeats instead (`ttl`).
   */
  healthCheckUrl: string;
  /** `http(s)://…` URL the manager POSTs notifications to. */
  notificationUrl: string;
  /** Service groups (service names) this pod wants to be told about. */
  subscriptions: string[];
  /**
   * TTL (heartbeat) check: milliseconds or a duration string such as `'15s'`. The pod must call
   * `heartbeat()` at least this often (`keepRegistered` does it); the manager does not probe it.
   */
  ttl?: number | string;
}

/**
 * What `GovernanceClient.register` accepts: a registration whose `serviceName` and `podName`
 * default to the client's own, and whose `subscriptions` default to none.
 */
export type RegistrationInput = Omit<ServiceRegistration, 'serviceName' | 'podName' | 'subscriptions'> &
  Partial<Pick<ServiceRegistration, 'serviceName' | 'podName' | 'subscriptions'>>;

/** The body of `POST /register`. */
export interface RegistrationWire {
  service_name: string;
  pod_name: string;
  providers: Provider[];
  health_check_url: string;
  notification_url: string;
  subscriptions: string[];
  ttl?: number | string;
}

/** A registered pod as `GET /services` reports it, converted to camelCase. */
export interface RegisteredService extends ServiceRegistration {
  status: ServiceStatus | string;
  lastHealthCheck?: Date;
  registeredAt?: Date;
  updatedAt?: Date;
  /** The TTL in ms, for a pod registered with one. */
  ttl?: number;
}

/** One pod inside a notification (wire form). */
export interface NotificationPod {
  pod_name: string;
  status: ServiceStatus;
  providers: Provider[];
}

/**
 * The JSON body the manager POSTs to a pod's `notification_url`, wire-compatible with the Go
 * library. `pods` is the complete current pod list of the group `service_name`. `revision`
 * increases for every payload of a group (also across manager restarts); receivers use it to
 * drop stale, out-of-order deliveries. Payloads from a Go manager carry no revision.
 */
export interface NotificationPayload {
  service_name: string;
  event_type: EventType;
  /** RFC 3339 timestamp of when the payload was built. */
  timestamp: string;
  pods: NotificationPod[];
  revision?: number;
}

/** One problem with one field of a payload; `path` is dotted (`pods.0.providers.1.port`). */
export interface FieldError {
  path: string;
  message: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Converts a registration to the body of `POST /register`. Values are passed through as they
 * are (the manager validates them and answers 400 with field errors), only the keys change.
 */
export function toRegistrationWire(registration: ServiceRegistration): RegistrationWire {
  return {
    service_name: registration.serviceName,
    pod_name: registration.podName,
    providers: Array.isArray(registration.providers)
      ? registration.providers.map((p) => (isObject(p) ? { protocol: p.protocol, ip: p.ip, port: p.port } : p))
      : registration.providers,
    health_check_url: registration.healthCheckUrl,
    notification_url: registration.notificationUrl,
    subscriptions: Array.isArray(registration.subscriptions)
      ? registration.subscriptions.slice()
      : registration.subscriptions,
    ...(registration.ttl === undefined ? {} : { ttl: registration.ttl }),
  };
}

function field(record: Json, snake: string, pascal: string): unknown {
  return Object.hasOwn(record, snake) ? record[snake] : record[pascal];
}

function asDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function providersFrom(value: unknown): Provider[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((p) => ({
    protocol: asString(field(p, 'protocol', 'Protocol')) as Protocol,
    ip: asString(field(p, 'ip', 'IP')),
    port: Number(field(p, 'port', 'Port')),
  }));
}

/**
 * Converts one entry of `GET /services` to camelCase. Accepts the snake_case keys of this
 * project's manager and the PascalCase keys of the Go manager; missing fields become empty.
 */
export function fromServiceWire(raw: unknown): RegisteredService {
  const record = isObject(raw) ? raw : {};
  const subscriptions = field(record, 'subscriptions', 'Subscriptions');
  const service: RegisteredService = {
    serviceName: asString(field(record, 'service_name', 'ServiceName')),
    podName: asString(field(record, 'pod_name', 'PodName')),
    providers: providersFrom(field(record, 'providers', 'Providers')),
    healthCheckUrl: asString(field(record, 'health_check_url', 'HealthCheckURL')),
    notificationUrl: asString(field(record, 'notification_url', 'NotificationURL')),
    subscriptions: Array.isArray(subscriptions) ? subscriptions.filter((s) => typeof s === 'string') : [],
    status: asString(field(record, 'status', 'Status')) || 'unknown',
  };
  const lastHealthCheck = asDate(field(record, 'last_health_check', 'LastHealthCheck'));
  const registeredAt = asDate(field(record, 'registered_at', 'RegisteredAt'));
  const updatedAt = asDate(field(record, 'updated_at', 'UpdatedAt'));
  if (lastHealthCheck) service.lastHealthCheck = lastHealthCheck;
  if (registeredAt) service.registeredAt = registeredAt;
  if (updatedAt) service.updatedAt = updatedAt;
  if (typeof record.ttl === 'number') service.ttl = record.ttl;
  return service;
}

/** Reads the field errors of a manager's 400 body `{ error, errors: [{ path, message }] }`. */
export function fieldErrorsFrom(body: unknown): FieldError[] {
  if (!isObject(body) || !Array.isArray(body.errors)) return [];
  return body.errors.filter(isObject).map((e) => ({ path: asString(e.path), message: asString(e.message) }));
}

/** Reads the `error` message of a manager's error body, if it has one. */
export function errorMessageFrom(body: unknown): string | undefined {
  if (isObject(body) && typeof body.error === 'string' && body.error.length > 0) return body.error;
  return undefined;
}

/**
 * The header carrying a notification's revision. The manager sends it with every notification;
 * in its Go profile the body has no `revision` field, so the header is the only place for it.
 */
export const REVISION_HEADER = 'x-governance-revision';

/**
 * Reads the revision header: `undefined` when absent, the number, or the problem (a string)
 * when it is not one decimal integer below 2^53.
 */
export function parseRevisionHeader(value: string | string[] | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? (value.length === 1 ? value[0]! : '') : value;
  const revision = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(revision)) return `the ${REVISION_HEADER} header must be one whole number, got ${JSON.stringify(value).slice(0, 40)}`;
  return revision;
}

const MAX_REPORTED_ERRORS = 20;

/**
 * Checks that `value` is a notification payload and returns a clean copy holding only the
 * known fields (unknown fields, including `__proto__` keys, are dropped), or every field error.
 */
export function parseNotificationPayload(
  value: unknown,
): { ok: true; payload: NotificationPayload } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string) => {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ path, message });
  };
  if (!isObject(value)) return { ok: false, errors: [{ path: '', message: 'must be a JSON object' }] };

  const serviceName = value.service_name;
  if (typeof serviceName !== 'string' || serviceName.length === 0) fail('service_name', 'must be a non-empty string');
  const eventType = value.event_type;
  if (typeof eventType !== 'string' || !(EVENT_TYPES as readonly string[]).includes(eventType)) {
    fail('event_type', `must be one of ${EVENT_TYPES.join(', ')}`);
  }
  const timestamp = value.timestamp;
  if (typeof timestamp !== 'string') fail('timestamp', 'must be a string (RFC 3339)');
  const revision = value.revision;
  if (revision !== undefined && revision !== null && (typeof revision !== 'number' || !Number.isFinite(revision))) {
    fail('revision', 'must be a finite number when present');
  }

  const pods: NotificationPod[] = [];
  if (!Array.isArray(value.pods)) {
    fail('pods', 'must be an array');
  } else {
    value.pods.forEach((pod: unknown, i: number) => {
      const at = `pods.${i}`;
      if (!isObject(pod)) return fail(at, 'must be an object');
      if (typeof pod.pod_name !== 'string' || pod.pod_name.length === 0) fail(`${at}.pod_name`, 'must be a non-empty string');
      if (typeof pod.status !== 'string' || !(SERVICE_STATUSES as readonly string[]).includes(pod.status)) {
        fail(`${at}.status`, `must be one of ${SERVICE_STATUSES.join(', ')}`);
      }
      const providers: Provider[] = [];
      if (!Array.isArray(pod.providers)) {
        fail(`${at}.providers`, 'must be an array');
      } else {
        pod.providers.forEach((provider: unknown, j: number) => {
          const pat = `${at}.providers.${j}`;
          if (!isObject(provider)) return fail(pat, 'must be an object');
          const { protocol, ip, port } = provider;
          if (typeof protocol !== 'string' || protocol.length === 0) fail(`${pat}.protocol`, 'must be a non-empty string');
          if (typeof ip !== 'string') fail(`${pat}.ip`, 'must be a string');
          if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
            fail(`${pat}.port`, 'must be an integer from 0 to 65535');
          }
          providers.push({ protocol: protocol as Protocol, ip: ip as string, port: port as number });
        });
      }
      pods.push({ pod_name: pod.pod_name as string, status: pod.status as ServiceStatus, providers });
    });
  }

  if (errors.length > 0) return { ok: false, errors };
  const payload: NotificationPayload = {
    service_name: serviceName as string,
    event_type: eventType as EventType,
    timestamp: timestamp as string,
    pods,
  };
  if (typeof revision === 'number') payload.revision = revision;
  return { ok: true, payload };
}
