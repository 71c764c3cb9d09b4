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
import { epoch, freezeRecord, withHealth } from './frozen-record';

const NAME = 'store-memory';
/** Settled results shared by every call that returns them (a settled promise cannot change). */
const DONE: Promise<void> = Promise.resolve();
const TRUE: Promise<boolean> = Promise.resolve(true);
const FALSE: Promise<boolean> = Promise.resolve(false);

/**
 * Everything the store keeps under one key: internal and mutable (the record in it is frozen).
 * A key has an entry while it has a record or subscriptions.
 */
interface Entry {
  readonly key: string;
  /** The pod's current record; `undefined` for a key that only has subscriptions. */
  record: ServiceInfo | undefined;
  /** The groups this key subscribes to (the subscription index, by subscriber). */
  groups: Set<string> | undefined;
  /**
   * The (frozen) subscriptions list `groups` was last made equal to by a save; cleared when the
   * index is edited directly, so a re-save with the very same list can skip the comparison.
   */
  synced: readonly string[] | undefined;
}

type PreparedMutation =
  | { type: 'save'; service: ServiceInfo }
  | { type: 'delete'; key: string }
  | { type: 'health'; key: string; status: ServiceStatus; at: Date };

/**
 * The default store: everything in process memory, lost when the process exits.
 *
 * Lookups by key, by service name and by subscribed group are index (Map) lookups, never scans.
 * Stored records are immutable and shared: a write stores a deeply frozen copy of the caller's
 * record (sharing the unchanged parts of the record it replaces), and reads return those frozen
 * records themselves — no copy per read. Mutating a returned record, its arrays, providers or
 * dates throws a `TypeError`; clone it first (`cloneService`) to change it. A record read earlier
 * never changes: writes replace records. Each call is applied synchronously inside one
 * microtask, so concurrent calls are atomic with respect to each other.
 */
export class MemoryStore implements RegistryStore {
  readonly name = NAME;
  /** key → entry */
  readonly #entries = new Map<string, Entry>();
  /** service name → pod name → entry, for pods with a record (the same entries as `#entries`) */
  readonly #byName = new Map<string, Map<string, Entry>>();
  /** service group → subscriber keys */
  readonly #subscribers = new Map<string, Set<string>>();
  #podCount = 0;
  #subscriptionCount = 0;
  #closed = false;

  // saveService and updateHealthStatus, the hot writes, are not `async`: they hand back a settled
  // promise made once (a failure still rejects, never throws), which saves a promise per call.
  saveService(service: ServiceInfo): Promise<void> {
    try {
      this.#open('saveService');
      const entry = this.#entryOf(service, 'saveService');
      this.#save(service, entry, this.#freeze(service, entry, 'saveService'));
      return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async getService(key: string): Promise<ServiceInfo | undefined> {
    this.#open('getService');
    return this.#entries.get(key)?.record;
  }

  async getServicesByName(serviceName: string): Promise<ServiceInfo[]> {
    this.#open('getServicesByName');
    const pods = this.#byName.get(serviceName);
    const out: ServiceInfo[] = [];
    if (pods !== undefined) for (const entry of pods.values()) out.push(entry.record!);
    return out;
  }

  async getAllServices(): Promise<ServiceInfo[]> {
    this.#open('getAllServices');
    const out = new Array<ServiceInfo>(this.#podCount);
    let i = 0;
    for (const entry of this.#entries.values()) if (entry.record !== undefined) out[i++] = entry.record;
    return out;
  }

  async deleteService(key: string): Promise<boolean> {
    this.#open('deleteService');
    return this.#delete(key);
  }

  updateHealthStatus(key: string, status: ServiceStatus, at: Date): Promise<boolean> {
    try {
      this.#open('updateHealthStatus');
      if (!validDate(at)) {
        throw new StoreError(NAME, 'updateHealthStatus', '`at` must be a valid Date');
      }
      return this.#health(key, status, at) ? TRUE : FALSE;
    } catch (error) {
      return Promise.reject(error);
    }
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
    const keys = this.#subscribers.get(serviceGroup);
    const out: ServiceInfo[] = [];
    if (keys === undefined) return out;
    for (const key of keys) {
      const record = this.#entries.get(key)?.record;
      if (record !== undefined) out.push(record);
    }
    return out;
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
        this.#save(m.service, this.#entryOf(m.service, 'applyBatch'), m.service);
        return true;
      }
      if (m.type === 'delete') return this.#delete(m.key);
      return this.#health(m.key, m.status, m.at);
    });
  }

  async clear(): Promise<void> {
    this.#open('clear');
    this.#entries.clear();
    this.#byName.clear();
    this.#subscribers.clear();
    this.#podCount = 0;
    this.#subscriptionCount = 0;
  }

  async stats(): Promise<StoreStats> {
    this.#open('stats');
    return { services: this.#podCount, subscriptions: this.#subscriptionCount };
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
      if (m.type === 'save') {
        const entry = this.#entryOf(m.service, 'applyBatch', where);
        return { type: 'save', service: this.#freeze(m.service, entry, 'applyBatch', where) };
      }
      if (m.type === 'delete' && typeof m.key === 'string') return { type: 'delete', key: m.key };
      if (m.type === 'health' && typeof m.key === 'string' && validDate(m.at)) {
        return { type: 'health', key: m.key, status: m.status, at: m.at };
      }
    }
    throw new StoreError(NAME, 'applyBatch', `${where}not a valid save, delete or health change; nothing was applied`);
  }

  /**
   * The entry of the pod a record to save belongs to, if any: found by its names, without
   * building the key, when the pod has a record. Rejects what is not a record at all.
   */
  #entryOf(service: ServiceInfo, operation: StoreOperation, where = ''): Entry | undefined {
    if (typeof service !== 'object' || service === null) throw malformed(operation, where);
    return this.#byName.get(service.serviceName)?.get(service.podName) ?? this.#entries.get(keyOf(service));
  }

  /**
   * A deeply frozen copy of a caller's record, sharing what is unchanged with the pod's current
   * record (in `entry`); a malformed record is rejected before anything changes.
   */
  #freeze(service: ServiceInfo, entry: Entry | undefined, operation: StoreOperation, where = ''): ServiceInfo {
    const lastHealthCheck = epoch(service.lastHealthCheck);
    const registeredAt = epoch(service.registeredAt);
    const updatedAt = epoch(service.updatedAt);
    if (Number.isNaN(lastHealthCheck)) throw malformed(operation, where, 'lastHealthCheck is not a valid date');
    if (Number.isNaN(registeredAt)) throw malformed(operation, where, 'registeredAt is not a valid date');
    if (Number.isNaN(updatedAt)) throw malformed(operation, where, 'updatedAt is not a valid date');
    try {
      return freezeRecord(service, lastHealthCheck, registeredAt, updatedAt, entry?.record);
    } catch (error) {
      throw malformed(operation, where, undefined, error);
    }
  }

  /**
   * Stores `record` (already frozen) for the pod named like `names`, whose entry (from
   * `#entryOf`) is `entry`, and makes the pod's subscription index equal to the record's list.
   */
  #save(names: ServiceInfo, entry: Entry | undefined, record: ServiceInfo): void {
    if (entry === undefined) {
      const key = keyOf(names);
      entry = { key, record: undefined, groups: undefined, synced: undefined };
      this.#entries.set(key, entry);
    }
    if (entry.record === undefined) {
      this.#podCount++;
      let pods = this.#byName.get(record.serviceName);
      if (pods === undefined) this.#byName.set(record.serviceName, (pods = new Map()));
      pods.set(record.podName, entry);
    }
    entry.record = record;
    // A re-save with the same list (shared with the record it replaces) leaves the index alone.
    if (entry.synced === record.subscriptions) return;
    if (!sameGroups(entry.groups, record.subscriptions)) {
      const wanted = new Set(record.subscriptions);
      for (const group of [...(entry.groups ?? [])]) if (!wanted.has(group)) this.#unsubscribe(entry.key, group);
      for (const group of wanted) this.#subscribe(entry.key, group);
    }
    entry.synced = record.subscriptions;
  }

  #delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry?.record === undefined) return false;
    const { serviceName, podName } = entry.record;
    const pods = this.#byName.get(serviceName);
    if (pods !== undefined) {
      pods.delete(podName);
      if (pods.size === 0) this.#byName.delete(serviceName);
    }
    entry.record = undefined;
    this.#podCount--;
    this.#unsubscribeAll(key);
    this.#entries.delete(key);
    return true;
  }

  #health(key: string, status: ServiceStatus, at: Date): boolean {
    const entry = this.#entries.get(key);
    if (entry?.record === undefined) return false;
    entry.record = withHealth(entry.record, status, at);
    return true;
  }

  #subscribe(subscriberKey: string, group: string): void {
    let subs = this.#subscribers.get(group);
    if (subs === undefined) this.#subscribers.set(group, (subs = new Set()));
    if (subs.has(subscriberKey)) return;
    subs.add(subscriberKey);
    let entry = this.#entries.get(subscriberKey);
    if (entry === undefined) {
      entry = { key: subscriberKey, record: undefined, groups: undefined, synced: undefined };
      this.#entries.set(subscriberKey, entry);
    }
    (entry.groups ??= new Set()).add(group);
    entry.synced = undefined;
    this.#subscriptionCount++;
  }

  #unsubscribe(subscriberKey: string, group: string): void {
    const subs = this.#subscribers.get(group);
    if (subs === undefined || !subs.delete(subscriberKey)) return;
    if (subs.size === 0) this.#subscribers.delete(group);
    this.#subscriptionCount--;
    const entry = this.#entries.get(subscriberKey);
    if (entry?.groups === undefined) return;
    entry.groups.delete(group);
    entry.synced = undefined;
    if (entry.groups.size > 0) return;
    entry.groups = undefined;
    if (entry.record === undefined) this.#entries.delete(subscriberKey);
  }

  #unsubscribeAll(subscriberKey: string): void {
    const groups = this.#entries.get(subscriberKey)?.groups;
    if (groups === undefined) return;
    for (const group of [...groups]) this.#unsubscribe(subscriberKey, group);
  }
}

/** The rejection of a malformed record (`where` names the batch position, if any). */
function malformed(operation: StoreOperation, where: string, problem?: string, cause?: unknown): StoreError {
  const what = problem ?? 'the pod record is malformed (validate registrations before saving them)';
  return new StoreError(NAME, operation, `${where}${what}${where ? '; nothing was applied' : ''}`, { cause });
}

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
