import type { Provider, ServiceInfo, ServiceStatus } from '@governance/core';
import type { Insertable, Selectable } from 'kysely';
import type { ServicesTable } from './registry-database';

export type ServiceRow = Selectable<ServicesTable>;
export type ServiceInsert = Insertable<ServicesTable>;

/** The row written for a pod. JSON columns are sent as JSON text. */
export function serviceToRow(key: string, service: ServiceInfo, years?: DateYears): ServiceInsert {
  return {
    service_key: key,
    service_name: service.serviceName,
    pod_name: service.podName,
    providers: JSON.stringify(service.providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port }))),
    health_check_url: service.healthCheckUrl,
    notification_url: service.notificationUrl,
    subscriptions: JSON.stringify(uniqueGroups(service.subscriptions)),
    status: service.status,
    last_health_check: validDate(service.lastHealthCheck, 'lastHealthCheck', years),
    registered_at: validDate(service.registeredAt, 'registeredAt', years),
    updated_at: validDate(service.updatedAt, 'updatedAt', years),
    ttl_ms: service.ttl ?? null,
  };
}

/** The UTC years a column type can hold, inclusive (MySQL `datetime`: 1000–9999). */
export type DateYears = readonly [first: number, last: number];

/**
 * A copy of a date about to be written; an invalid one, or one outside the years the column can
 * hold, is refused before it reaches the driver (MySQL would silently store year 0001 as 2001).
 */
export function validDate(value: Date, field: string, years?: DateYears): Date {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${field} must be a valid Date`);
  const date = new Date(ms);
  if (years !== undefined) {
    const year = date.getUTCFullYear();
    if (year < years[0] || year > years[1]) {
      throw new RangeError(`${field} must be a date in the years ${years[0]}–${years[1]} (UTC) for this database; got ${date.toISOString()}`);
    }
  }
  return date;
}

/** A fresh `ServiceInfo` built from a row; nothing is shared with the driver's objects. */
export function rowToService(row: ServiceRow): ServiceInfo {
  const providers = parseJson(row.providers) as Provider[];
  const subscriptions = parseJson(row.subscriptions) as string[];
  return {
    serviceName: row.service_name,
    podName: row.pod_name,
    providers: providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port })),
    healthCheckUrl: row.health_check_url,
    notificationUrl: row.notification_url,
    subscriptions: subscriptions.slice(),
    status: row.status as ServiceStatus,
    lastHealthCheck: toDate(row.last_health_check),
    registeredAt: toDate(row.registered_at),
    updatedAt: toDate(row.updated_at),
    ...(row.ttl_ms === null || row.ttl_ms === undefined ? {} : { ttl: Number(row.ttl_ms) }),
  };
}

/** The groups in first-seen order, without repeats. */
export function uniqueGroups(groups: readonly string[]): string[] {
  return [...new Set(groups)];
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** Dates from the driver; a zone-less text timestamp (a host pool with `dateStrings`) is UTC. */
export function toDate(value: Date | string): Date {
  if (typeof value !== 'string') return new Date(value.getTime());
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
  return new Date(text);
}
