import type { Provider, ServiceInfo, ServiceStatus } from '@governance/core';
import type { Insertable, Selectable } from 'kysely';
import type { ServicesTable } from './registry-database';

export type ServiceRow = Selectable<ServicesTable>;
export type ServiceInsert = Insertable<ServicesTable>;

/** The row written for a pod. JSON columns are sent as JSON text. */
export function serviceToRow(key: string, service: ServiceInfo): ServiceInsert {
  return {
    service_key: key,
    service_name: service.serviceName,
    pod_name: service.podName,
    providers: JSON.stringify(service.providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port }))),
    health_check_url: service.healthCheckUrl,
    notification_url: service.notificationUrl,
    subscriptions: JSON.stringify(uniqueGroups(service.subscriptions)),
    status: service.status,
    last_health_check: validDate(service.lastHealthCheck, 'lastHealthCheck'),
    registered_at: validDate(service.registeredAt, 'registeredAt'),
    updated_at: validDate(service.updatedAt, 'updatedAt'),
  };
}

/** A copy of a date about to be written; an invalid one is refused before it reaches the driver. */
export function validDate(value: Date, field: string): Date {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${field} must be a valid Date`);
  return new Date(ms);
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
