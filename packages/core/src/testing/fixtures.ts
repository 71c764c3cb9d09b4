import assert from 'node:assert/strict';
import { keyOf, type ServiceInfo } from '../model';
import type { RegistryStore } from '../store';
import { strictEqual } from './assertions';

/**
 * A valid pod record for tests, with millisecond-precise, distinct timestamps. Every field can
 * be overridden; arrays and dates are fresh on every call, so fixtures never share state.
 */
export function makeService(overrides: Partial<ServiceInfo> = {}): ServiceInfo {
  return {
    serviceName: 'http-gw',
    podName: 'http-gw-1',
    providers: [
      { protocol: 'http', ip: '10.0.0.1', port: 8080 },
      { protocol: 'tcp', ip: '10.0.0.1', port: 3868 },
    ],
    healthCheckUrl: 'http://10.0.0.1:8080/health',
    notificationUrl: 'http://10.0.0.1:8080/notify',
    subscriptions: [],
    status: 'unknown',
    lastHealthCheck: new Date('2026-03-04T05:06:07.089Z'),
    registeredAt: new Date('2026-03-04T05:06:01.123Z'),
    updatedAt: new Date('2026-03-04T05:06:02.456Z'),
    ...overrides,
  };
}

/** A pod whose names, URLs and groups use non-ASCII text (Cyrillic, CJK, emoji), for round-trip checks. */
export function makeUnicodeService(overrides: Partial<ServiceInfo> = {}): ServiceInfo {
  return makeService({
    serviceName: 'сервис-ü-日本-😀',
    podName: 'pod-ñ-Ω-🚀',
    healthCheckUrl: 'http://10.0.0.1:8080/gesundheit/prüfen?q=✓',
    notificationUrl: 'http://10.0.0.1:8080/通知',
    subscriptions: ['café', 'サービス', '🙂-group'],
    ...overrides,
  });
}

/** `count` pods of one service, `${serviceName}-0` … with distinct ports. */
export function makePods(serviceName: string, count: number, overrides: Partial<ServiceInfo> = {}): ServiceInfo[] {
  return Array.from({ length: count }, (_, i) =>
    makeService({
      serviceName,
      podName: `${serviceName}-${i}`,
      providers: [{ protocol: 'http', ip: '10.1.0.1', port: 10_000 + i }],
      ...overrides,
    }),
  );
}

/** Keys of some pods, sorted (stores return rows in any order). */
export function keysOf(services: readonly ServiceInfo[]): string[] {
  return services.map(keyOf).sort();
}

/** A copy of a list, sorted. */
export function sorted<T extends string>(items: readonly T[]): T[] {
  return [...items].sort();
}

/** (subscriber, group) pairs as sorted `subscriber→group` strings, easy to compare. */
export function pairStrings(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  return pairs.map(([subscriber, group]) => `${subscriber}→${group}`).sort();
}

/**
 * Asserts that a call rejects with the contract's `StoreError` (checked by `code` and `name`,
 * so it also works when the adapter and the suite load different copies of core).
 */
export async function expectStoreError(call: () => Promise<unknown>, what: string): Promise<void> {
  let failure: unknown;
  try {
    await call();
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof Error, `${what} should reject with StoreError`);
  const error = failure as Error & { code?: unknown };
  strictEqual(error.code, 'STORE', `${what}: error code`);
  strictEqual(error.name, 'StoreError', `${what}: error name`);
  assert.match(error.message, /^\[[\w-]+\] /, `${what}: message names the package`);
}

/**
 * Asserts that a call with malformed input rejects with a typed error of the library
 * (`StoreError` or `ValidationError`, by `code`) whose message names the package.
 */
export async function expectTypedRejection(call: () => Promise<unknown>, what: string): Promise<void> {
  let failure: unknown;
  try {
    await call();
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof Error, `${what} should reject`);
  const error = failure as Error & { code?: unknown };
  assert.ok(['STORE', 'VALIDATION'].includes(error.code as string), `${what}: error code (StoreError or ValidationError)`);
  assert.match(error.message, /^\[[\w-]+\] /, `${what}: message names the package`);
}

/** Records that no store should accept: a missing providers list, an invalid date. */
export function malformedServices(base: ServiceInfo): Array<[string, ServiceInfo]> {
  return [
    ['providers missing', { ...base, providers: undefined } as unknown as ServiceInfo],
    ['registeredAt an invalid Date', { ...base, registeredAt: new Date(Number.NaN) }],
  ];
}

/**
 * Every contract call with valid arguments (`applyBatch` too when the store has it), named by
 * its operation: for checks that each one fails the same way on a closed or unreachable store.
 */
export function everyStoreCall(store: RegistryStore, pod: ServiceInfo = makeService()): Array<[string, () => Promise<unknown>]> {
  const key = keyOf(pod);
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['saveService', () => store.saveService(pod)],
    ['getService', () => store.getService(key)],
    ['getServicesByName', () => store.getServicesByName(pod.serviceName)],
    ['getAllServices', () => store.getAllServices()],
    ['deleteService', () => store.deleteService(key)],
    ['updateHealthStatus', () => store.updateHealthStatus(key, 'healthy', new Date())],
    ['addSubscription', () => store.addSubscription(key, 'eir')],
    ['removeSubscription', () => store.removeSubscription(key, 'eir')],
    ['removeAllSubscriptions', () => store.removeAllSubscriptions(key)],
    ['getSubscribers', () => store.getSubscribers('eir')],
    ['getSubscriberServices', () => store.getSubscriberServices('eir')],
    ['clear', () => store.clear()],
    ['stats', () => store.stats()],
    ['ping', () => store.ping()],
  ];
  if (store.applyBatch !== undefined) calls.push(['applyBatch', () => store.applyBatch!([{ type: 'save', service: pod }])]);
  return calls;
}
