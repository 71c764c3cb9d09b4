import type { Provider, ServiceInfo, ServiceStatus } from '@governance/core';

/** Every `Date.prototype` method that changes the time in place (`setYear` is the legacy one). */
const MUTATORS = [
  'setTime',
  'setMilliseconds',
  'setUTCMilliseconds',
  'setSeconds',
  'setUTCSeconds',
  'setMinutes',
  'setUTCMinutes',
  'setHours',
  'setUTCHours',
  'setDate',
  'setUTCDate',
  'setMonth',
  'setUTCMonth',
  'setFullYear',
  'setUTCFullYear',
  'setYear',
] as const;

/**
 * A `Date` that refuses to change: every setter throws a `TypeError`, and instances are frozen.
 * It is still a real `Date` (`instanceof Date`, `getTime()`, `toISOString()`, `JSON.stringify`,
 * `structuredClone` all behave), so stored records keep the `ServiceInfo` type.
 *
 * Only `Date.prototype.setTime.call(date, …)` — deliberately bypassing the object's own
 * methods — could still change one: JavaScript has no truly immutable `Date`.
 */
class FrozenDate extends Date {}
for (const name of MUTATORS) {
  Object.defineProperty(FrozenDate.prototype, name, {
    value: function refuse(): never {
      throw new TypeError(
        `[store-memory] Date.${name}: this Date belongs to a stored pod record and is read-only; copy it first (new Date(date.getTime()))`,
      );
    },
  });
}
Object.freeze(FrozenDate.prototype);

/**
 * A frozen date for `ms`: the caller's own `given` when it already is one, else `a` or `b` (frozen
 * dates of the record) when they hold that time, else a new one.
 */
function frozenDate(ms: number, given: unknown, a?: Date, b?: Date): Date {
  if (given instanceof FrozenDate) return given;
  if (a !== undefined && a.getTime() === ms) return a;
  if (b !== undefined && b.getTime() === ms) return b;
  return Object.freeze(new FrozenDate(ms));
}

/** Epoch milliseconds of a caller's Date; NaN for anything that is not a valid Date. */
export function epoch(value: unknown): number {
  return value instanceof Date ? value.getTime() : Number.NaN;
}

function sameProviders(a: readonly Provider[], b: readonly Provider[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const q = b[i]!;
    if (p.protocol !== q.protocol || p.ip !== q.ip || p.port !== q.port) return false;
  }
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds a record; every caller goes through here so all records share one hidden class (a TTL
 * pod's, with its extra `ttl`, another one).
 */
function record(
  s: Pick<ServiceInfo, 'serviceName' | 'podName' | 'healthCheckUrl' | 'notificationUrl' | 'ttl'>,
  providers: readonly Provider[],
  subscriptions: readonly string[],
  status: ServiceStatus,
  lastHealthCheck: Date,
  registeredAt: Date,
  updatedAt: Date,
): ServiceInfo {
  const out: ServiceInfo = {
    serviceName: s.serviceName,
    podName: s.podName,
    providers: providers as Provider[],
    healthCheckUrl: s.healthCheckUrl,
    notificationUrl: s.notificationUrl,
    subscriptions: subscriptions as string[],
    status,
    lastHealthCheck,
    registeredAt,
    updatedAt,
  };
  if (s.ttl !== undefined) out.ttl = s.ttl;
  return Object.freeze(out);
}

/**
 * A deeply frozen copy of a caller's record (the caller's objects are never kept or frozen).
 * Parts equal to `previous` — the record stored under the same key, itself frozen — are shared
 * instead of copied: a re-registration or a health change allocates only what changed.
 * Throws a `TypeError` when the record is malformed (no providers array, …).
 */
export function freezeRecord(
  service: ServiceInfo,
  lastHealthCheckMs: number,
  registeredAtMs: number,
  updatedAtMs: number,
  previous?: ServiceInfo,
): ServiceInfo {
  const providers =
    previous !== undefined && sameProviders(previous.providers, service.providers)
      ? previous.providers
      : Object.freeze(service.providers.map((p) => Object.freeze({ protocol: p.protocol, ip: p.ip, port: p.port })));
  const subscriptions =
    previous !== undefined && sameList(previous.subscriptions, service.subscriptions)
      ? previous.subscriptions
      : Object.freeze(service.subscriptions.slice());
  const lastHealthCheck = frozenDate(lastHealthCheckMs, service.lastHealthCheck, previous?.lastHealthCheck, previous?.registeredAt);
  const registeredAt = frozenDate(registeredAtMs, service.registeredAt, lastHealthCheck, previous?.registeredAt);
  const updatedAt = frozenDate(updatedAtMs, service.updatedAt, lastHealthCheck, previous?.updatedAt);
  return record(service, providers, subscriptions, service.status, lastHealthCheck, registeredAt, updatedAt);
}

/** `previous` with a new status and last health check; everything else is shared. */
export function withHealth(previous: ServiceInfo, status: ServiceStatus, at: Date): ServiceInfo {
  const lastHealthCheck = frozenDate(at.getTime(), at, previous.lastHealthCheck, previous.updatedAt);
  return record(
    previous,
    previous.providers,
    previous.subscriptions,
    status,
    lastHealthCheck,
    previous.registeredAt,
    previous.updatedAt,
  );
}
