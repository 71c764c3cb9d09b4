import {
  StoreError,
  keyOf,
  type RegistryStore,
  type ServiceInfo,
  type ServiceStatus,
  type StoreMutation,
  type StoreMutationResult,
  type StoreOperation,
  type StoreStats,
} from '@governance/core';
import { epoch, freezeRecord, withHealth, type RecordTimes } from './frozen-record';

const NAME = 'store-memory';

/**
 * The default store: everything in process memory, lost when the process exits.
 *
 * Lookups by key, by service name and by subscribed group are index (Map) lookups, never scans.
 * Stored records are immutable and shared: a write stores a deeply frozen copy of the caller's
 * record (sharing the unchanged parts of the record it replaces), and reads return those frozen
 * records themselves — no copy per read. Mutating a returned record, its arrays, providers or
 * dates throws a `TypeError`; clone it first (`cloneService`) to change it. Each call is applied
 * synchronously inside one microtask, so concurrent calls are atomic with respect to each other.
 */
export class MemoryStore implements RegistryStore {
  readonly name = NAME;
  readonly #services = new Map<string, ServiceInfo>();
  /** service name → keys of its pods */
  readonly #byName = new Map<string, Set<string>>();
  /** service group → subscriber keys */
  readonly #subscribers = new Map<string, Set<string>>();
  /** subscriber key → groups it subscribes to */
  readonly #groupsOf = new Map<string, Set<string>>();
  #subscriptionCount = 0;
  #closed = false;

  async saveService(service: ServiceInfo): Promise<void> {
    this.#open('saveService');
    this.#save(this.#freeze(service, 'saveService'));
  }

  async getService(key: string): Promise<ServiceInfo | undefined> {
    this.#open('getService');
    return this.#services.get(key);
  }

  async getServicesByName(serviceName: string): Promise<ServiceInfo[]> {
    this.#open('getServicesByName');
    return this.#records(this.#byName.get(serviceName));
  }

  async getAllServices(): Promise<ServiceInfo[]> {
    this.#open('getAllServices');
    return Array.from(this.#services.values());
  }

  async deleteService(key: string): Promise<boolean> {
    this.#open('deleteService');
    return this.#delete(key);
  }

  async updateHealthStatus(key: string, status: ServiceStatus, at: Date): Promise<boolean> {
    this.#open('updateHealthStatus');
    if (!validDate(at)) {
      throw new StoreError(NAME, 'updateHealthStatus', '`at` must be a valid Date');
    }
    return this.#health(key, status, at);
  }

  async addSubscription(subscriberKey: string, serviceGroup: string): Promise<void> {
    this.#open('addSubscription');
    this.#subscribe(subscriberKey, serviceGroup);
  }

  async removeSubscription(subscriberKey: string, serviceGroup: string): Promise<void> {
    this.#open('removeSubscription');
    this.#unsubscribe(subscriberKey, serviceGroup);
  }

  async removeAllSubscriptions(subscriberKey: string): Promise<void> {
    this.#open('removeAllSubscriptions');
    this.#unsubscribeAll(subscriberKey);
  }

  async getSubscribers(serviceGroup: string): Promise<string[]> {
    this.#open('getSubscribers');
    const keys = this.#subscribers.get(serviceGroup);
    return keys === undefined ? [] : [...keys];
  }

  async getSubscriberServices(serviceGroup: string): Promise<ServiceInfo[]> {
    this.#open('getSubscriberServices');
    return this.#records(this.#subscribers.get(serviceGroup));
  }

  /**
   * Applies the batch in order, all or nothing: every mutation is checked and frozen before the
   * first one is applied, so a malformed mutation rejects the batch with nothing changed.
   */
  async applyBatch(mutations: readonly StoreMutation[]): Promise<StoreMutationResult[]> {
    this.#open('applyBatch');
    const prepared = mutations.map((m, i) => this.#prepare(m, i));
    return prepared.map((m) => {
      if (m.type === 'save') {
        this.#save(m.service);
        return true;
      }
      if (m.type === 'delete') return this.#delete(m.key);
      return this.#health(m.key, m.status, m.at);
    });
  }

  async clear(): Promise<void> {
    this.#open('clear');
    this.#services.clear();
    this.#byName.clear();
    this.#subscribers.clear();
    this.#groupsOf.clear();
    this.#subscriptionCount = 0;
  }

  async stats(): Promise<StoreStats> {
    this.#open('stats');
    return { services: this.#services.size, subscriptions: this.#subscriptionCount };
  }

  async ping(): Promise<void> {
    this.#open('ping');
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(operation: StoreOperation): void {
    if (this.#closed) {
      throw new StoreError(NAME, operation, 'the store is closed; create a new MemoryStore');
    }
  }

  #prepare(m: StoreMutation, index: number): PreparedMutation {
    const where = `mutation ${index}: `;
    if (typeof m === 'object' && m !== null) {
      if (m.type === 'save') return { type: 'save', service: this.#freeze(m.service, 'applyBatch', where) };
      if (m.type === 'delete' && typeof m.key === 'string') return { type: 'delete', key: m.key };
      if (m.type === 'health' && typeof m.key === 'string' && validDate(m.at)) {
        return { type: 'health', key: m.key, status: m.status, at: m.at };
      }
    }
    throw new StoreError(NAME, 'applyBatch', `${where}not a valid save, delete or health change; nothing was applied`);
  }

  /**
   * A deeply frozen copy of a caller's record, sharing what is unchanged with the stored one;
   * a malformed record is rejected before anything changes.
   */
  #freeze(service: ServiceInfo, operation: StoreOperation, where = ''): ServiceInfo {
    const fail = (problem: string, cause?: unknown) =>
      new StoreError(NAME, operation, `${where}${problem}${where ? '; nothing was applied' : ''}`, { cause });
    let times: RecordTimes;
    try {
      times = {
        lastHealthCheck: epoch(service.lastHealthCheck),
        registeredAt: epoch(service.registeredAt),
        updatedAt: epoch(service.updatedAt),
      };
    } catch (error) {
      throw fail('the pod record is malformed (validate registrations before saving them)', error);
    }
    for (const field of ['lastHealthCheck', 'registeredAt', 'updatedAt'] as const) {
      if (Number.isNaN(times[field])) throw fail(`${field} is not a valid date`);
    }
    try {
      return freezeRecord(service, times, this.#services.get(keyOf(service)));
    } catch (error) {
      throw fail('the pod record is malformed (validate registrations before saving them)', error);
    }
  }

  #records(keys: Set<string> | undefined): ServiceInfo[] {
    if (keys === undefined) return [];
    const out: ServiceInfo[] = [];
    for (const key of keys) {
      const s = this.#services.get(key);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /** Stores `copy` (already a frozen copy) and makes the pod's subscription index match it. */
  #save(copy: ServiceInfo): void {
    const key = keyOf(copy);
    this.#services.set(key, copy);
    let pods = this.#byName.get(copy.serviceName);
    if (pods === undefined) this.#byName.set(copy.serviceName, (pods = new Set()));
    pods.add(key);
    // Make the subscription index equal to the record's list (a re-save with the same list,
    // the common case, leaves the index alone).
    const current = this.#groupsOf.get(key);
    if (sameGroups(current, copy.subscriptions)) return;
    const wanted = new Set(copy.subscriptions);
    if (current !== undefined) {
      for (const group of [...current]) if (!wanted.has(group)) this.#unsubscribe(key, group);
    }
    for (const group of wanted) this.#subscribe(key, group);
  }

  #delete(key: string): boolean {
    const existing = this.#services.get(key);
    if (existing === undefined) return false;
    this.#services.delete(key);
    const pods = this.#byName.get(existing.serviceName);
    if (pods !== undefined) {
      pods.delete(key);
      if (pods.size === 0) this.#byName.delete(existing.serviceName);
    }
    this.#unsubscribeAll(key);
    return true;
  }

  #health(key: string, status: ServiceStatus, at: Date): boolean {
    const existing = this.#services.get(key);
    if (existing === undefined) return false;
    this.#services.set(key, withHealth(existing, status, at));
    return true;
  }

  #subscribe(subscriberKey: string, group: string): void {
    let subs = this.#subscribers.get(group);
    if (subs === undefined) this.#subscribers.set(group, (subs = new Set()));
    if (subs.has(subscriberKey)) return;
    subs.add(subscriberKey);
    let groups = this.#groupsOf.get(subscriberKey);
    if (groups === undefined) this.#groupsOf.set(subscriberKey, (groups = new Set()));
    groups.add(group);
    this.#subscriptionCount++;
  }

  #unsubscribe(subscriberKey: string, group: string): void {
    const subs = this.#subscribers.get(group);
    if (subs === undefined || !subs.delete(subscriberKey)) return;
    if (subs.size === 0) this.#subscribers.delete(group);
    const groups = this.#groupsOf.get(subscriberKey);
    if (groups !== undefined) {
      groups.delete(group);
      if (groups.size === 0) this.#groupsOf.delete(subscriberKey);
    }
    this.#subscriptionCount--;
  }

  #unsubscribeAll(subscriberKey: string): void {
    const groups = this.#groupsOf.get(subscriberKey);
    if (groups === undefined) return;
    for (const group of [...groups]) this.#unsubscribe(subscriberKey, group);
  }
}

type PreparedMutation =
  | { type: 'save'; service: ServiceInfo }
  | { type: 'delete'; key: string }
  | { type: 'health'; key: string; status: ServiceStatus; at: Date };

function validDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** True when `index` holds exactly the groups in `list` (a list with duplicates never matches). */
function sameGroups(index: Set<string> | undefined, list: readonly string[]): boolean {
  if (index === undefined) return list.length === 0;
  if (index.size !== list.length) return false;
  for (let i = 0; i < list.length; i++) {
    const group = list[i]!;
    if (!index.has(group) || list.indexOf(group) !== i) return false;
  }
  return true;
}
