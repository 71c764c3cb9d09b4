import { keyOf, sameRegistration, type ServiceInfo, type ServiceRegistration } from '../model';
import type { StoreMutation } from '../store';
import type { RegistryView } from './registry-view';

/** What `register()` did. */
export type RegisterOutcome = 'created' | 'updated' | 'unchanged';

/** The answer of `register()`. */
export interface RegisterResult {
  /** The pod as stored after the call (a copy). */
  service: ServiceInfo;
  outcome: RegisterOutcome;
}

/** One change waiting in the ordered lane. */
export type LaneItem =
  | {
      kind: 'register';
      registration: Readonly<ServiceRegistration>;
      resolve(result: RegisterResult): void;
      reject(error: unknown): void;
    }
  | { kind: 'unregister'; key: string; resolve(found: boolean): void; reject(error: unknown): void }
  | { kind: 'health'; key: string; healthy: boolean; at: Date };

/** One lane item worked out against the view: what to write, and the record before/after. */
export interface PlannedChange {
  item: LaneItem;
  key: string;
  /** The store write; absent when the item changes nothing. */
  mutation?: StoreMutation;
  before?: ServiceInfo;
  /** The record once applied; `null` when deleted; absent when nothing changes. */
  after?: ServiceInfo | null;
  outcome?: RegisterOutcome;
}

/**
 * Works out a batch in order against the view, as if each change were applied after the
 * previous ones, without touching the view. Health results for pods that are gone, or that
 * were (re-)registered earlier in the same batch, change nothing.
 */
export function planBatch(items: readonly LaneItem[], view: RegistryView, now: Date): PlannedChange[] {
  const overlay = new Map<string, ServiceInfo | null>();
  const registeredHere = new Set<string>();
  const lookup = (key: string): ServiceInfo | undefined => {
    const o = overlay.get(key);
    return o === null ? undefined : (o ?? view.get(key));
  };
  const plan: PlannedChange[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === 'register') {
      const reg = item.registration;
      const key = keyOf(reg);
      const before = lookup(key);
      if (before !== undefined && sameRegistration(before, reg)) {
        plan[i] = { item, key, before, outcome: 'unchanged' };
        continue;
      }
      const after: ServiceInfo = {
        serviceName: reg.serviceName,
        podName: reg.podName,
        providers: reg.providers,
        healthCheckUrl: reg.healthCheckUrl,
        notificationUrl: reg.notificationUrl,
        subscriptions: reg.subscriptions,
        status: before?.status ?? 'unknown',
        lastHealthCheck: before?.lastHealthCheck ?? now,
        registeredAt: before?.registeredAt ?? now,
        updatedAt: now,
      };
      if (reg.ttl !== undefined) after.ttl = reg.ttl;
      overlay.set(key, after);
      registeredHere.add(key);
      plan[i] = {
        item,
        key,
        before,
        after,
        mutation: { type: 'save', service: after },
        outcome: before === undefined ? 'created' : 'updated',
      };
    } else if (item.kind === 'unregister') {
      const before = lookup(item.key);
      if (before === undefined) {
        plan[i] = { item, key: item.key };
        continue;
      }
      overlay.set(item.key, null);
      registeredHere.delete(item.key);
      plan[i] = { item, key: item.key, before, after: null, mutation: { type: 'delete', key: item.key } };
    } else {
      const before = lookup(item.key);
      if (before === undefined || registeredHere.has(item.key)) {
        plan[i] = { item, key: item.key };
        continue;
      }
      const status = item.healthy ? 'healthy' : 'unhealthy';
      const after: ServiceInfo = { ...before, status, lastHealthCheck: item.at };
      overlay.set(item.key, after);
      plan[i] = {
        item,
        key: item.key,
        before,
        after,
        mutation: { type: 'health', key: item.key, status, at: item.at },
      };
    }
  }
  return plan;
}
