import {
  KEY_SEPARATOR,
  PROTOCOLS,
  SERVICE_STATUSES,
  StoreError,
  ValidationError,
  keyOf,
  type FieldError,
  type Protocol,
  type ServiceInfo,
  type ServiceStatus,
  type StoreOperation,
} from '@governance/core';

/** One provider as stored inside a service document. */
export interface ProviderDocument {
  protocol: Protocol;
  ip: string;
  port: number;
}

/**
 * A pod in the `services` collection. Field names are the snake_case column names of the SQL
 * stores; `_id` is the service key `serviceName:podName`; dates are BSON dates (milliseconds).
 */
export interface ServiceDocument {
  _id: string;
  service_name: string;
  pod_name: string;
  providers: ProviderDocument[];
  health_check_url: string;
  notification_url: string;
  subscriptions: string[];
  status: ServiceStatus;
  last_health_check: Date;
  registered_at: Date;
  updated_at: Date;
  /** TTL (heartbeat) check in ms; absent for a probed pod. */
  ttl_ms?: number;
}

/** One (subscriber, group) pair in the `subscriptions` collection. `_id` is left to the server. */
export interface SubscriptionDocument {
  subscriber_key: string;
  service_group: string;
}

const STORE = 'store-mongodb';

/**
 * The document stored for a pod: a fresh object sharing nothing with `service`.
 * @throws ValidationError naming the field when the record could not be stored faithfully.
 */
export function toServiceDocument(service: ServiceInfo): ServiceDocument {
  checkService(service);
  return {
    _id: keyOf(service),
    service_name: service.serviceName,
    pod_name: service.podName,
    providers: service.providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port })),
    health_check_url: service.healthCheckUrl,
    notification_url: service.notificationUrl,
    subscriptions: service.subscriptions.slice(),
    status: service.status,
    last_health_check: new Date(service.lastHealthCheck.getTime()),
    registered_at: new Date(service.registeredAt.getTime()),
    updated_at: new Date(service.updatedAt.getTime()),
    ...(service.ttl === undefined ? {} : { ttl_ms: service.ttl }),
  };
}

/**
 * The `ServiceInfo` of a stored document (a fresh object). Unknown fields are ignored.
 * @throws StoreError when the document lacks a field or has one of the wrong type, naming it.
 */
export function fromServiceDocument(doc: Record<string, unknown>, operation: StoreOperation = 'getService'): ServiceInfo {
  const id = typeof doc._id === 'string' ? doc._id : String(doc._id);
  const fail = (field: string, expected: string): never => {
    throw new StoreError(
      STORE,
      operation,
      `the document "${id}" in the services collection has no valid ${field} (expected ${expected}); it was not written by this store — fix or delete it`,
    );
  };
  const text = (field: string): string => (typeof doc[field] === 'string' ? (doc[field] as string) : fail(field, 'a string'));
  const date = (field: string): Date => {
    const value = doc[field];
    return value instanceof Date && !Number.isNaN(value.getTime()) ? new Date(value.getTime()) : fail(field, 'a date');
  };
  const rawProviders = Array.isArray(doc.providers) ? (doc.providers as unknown[]) : fail('providers', 'an array');
  const providers = rawProviders.map((p, i) => {
    const q = (p ?? {}) as Record<string, unknown>;
    if (typeof q.protocol !== 'string' || typeof q.ip !== 'string' || typeof q.port !== 'number') {
      return fail(`providers[${i}]`, '{ protocol, ip, port }');
    }
    return { protocol: q.protocol as Protocol, ip: q.ip, port: q.port };
  });
  const rawSubscriptions = Array.isArray(doc.subscriptions) ? (doc.subscriptions as unknown[]) : fail('subscriptions', 'an array');
  const subscriptions = rawSubscriptions.map((s, i) => (typeof s === 'string' ? s : fail(`subscriptions[${i}]`, 'a string')));
  const status = text('status');
  if (!(SERVICE_STATUSES as readonly string[]).includes(status)) fail('status', SERVICE_STATUSES.join(' | '));
  return {
    serviceName: text('service_name'),
    podName: text('pod_name'),
    providers,
    healthCheckUrl: text('health_check_url'),
    notificationUrl: text('notification_url'),
    subscriptions,
    status: status as ServiceStatus,
    lastHealthCheck: date('last_health_check'),
    registeredAt: date('registered_at'),
    updatedAt: date('updated_at'),
    ...(doc.ttl_ms === undefined || doc.ttl_ms === null ? {} : { ttl: typeof doc.ttl_ms === 'number' ? doc.ttl_ms : fail('ttl_ms', 'a number') }),
  };
}

/** Rejects a record the store could not save faithfully, naming every bad field. */
export function checkService(service: ServiceInfo): void {
  if (service === null || typeof service !== 'object') {
    throw new ValidationError([{ path: '', message: 'must be a ServiceInfo object' }], { context: 'service record', package: 'store-mongodb' });
  }
  const errors: FieldError[] = [];
  for (const field of ['serviceName', 'podName'] as const) {
    const value = service[field];
    if (typeof value !== 'string' || value === '' || value.includes(KEY_SEPARATOR)) {
      errors.push({ path: field, message: `must be a non-empty string without "${KEY_SEPARATOR}"` });
    }
  }
  for (const field of ['healthCheckUrl', 'notificationUrl'] as const) {
    if (typeof service[field] !== 'string') errors.push({ path: field, message: 'must be a string' });
  }
  if (!Array.isArray(service.providers)) {
    errors.push({ path: 'providers', message: 'must be an array' });
  } else {
    service.providers.forEach((p, i) => {
      if (p === null || typeof p !== 'object') return errors.push({ path: `providers[${i}]`, message: 'must be an object' });
      if (!(PROTOCOLS as readonly string[]).includes(p.protocol)) errors.push({ path: `providers[${i}].protocol`, message: `must be one of ${PROTOCOLS.join(', ')}` });
      if (typeof p.ip !== 'string') errors.push({ path: `providers[${i}].ip`, message: 'must be a string' });
      if (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535) errors.push({ path: `providers[${i}].port`, message: 'must be an integer from 0 to 65535' });
      return undefined;
    });
  }
  if (!Array.isArray(service.subscriptions)) {
    errors.push({ path: 'subscriptions', message: 'must be an array' });
  } else {
    service.subscriptions.forEach((s, i) => {
      if (typeof s !== 'string' || s === '') errors.push({ path: `subscriptions[${i}]`, message: 'must be a non-empty string' });
    });
  }
  if (!(SERVICE_STATUSES as readonly string[]).includes(service.status)) {
    errors.push({ path: 'status', message: `must be one of ${SERVICE_STATUSES.join(', ')}` });
  }
  for (const field of ['lastHealthCheck', 'registeredAt', 'updatedAt'] as const) {
    const value = service[field];
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) errors.push({ path: field, message: 'must be a valid Date' });
  }
  if (errors.length > 0) throw new ValidationError(errors, { context: 'service record', package: 'store-mongodb' });
}
