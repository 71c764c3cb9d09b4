import {
  StoreError,
  keyOf,
  type Provider,
  type RegistryStore,
  type ServiceInfo,
  type ServiceStatus,
  type StoreMutation,
  type StoreMutationResult,
  type StoreOperation,
  type StoreStats,
} from '@governance/core';

const NAME = 'store-memory';

/** A stored pod: like `ServiceInfo`, with its times kept as epoch milliseconds (no Date objects to keep). */
interface StoredPod {
  serviceName: string;
  podName: string;
  providers: Provider[];
  healthCheckUrl: string;
  notificationUrl: string;
  subscriptions: string[];
  status: ServiceStatus;
  lastHealthCheck: number;
  registeredAt: number;
  updatedAt: number;
}

/**
 * The default store: everything in process memory, lost when the process exits.
 *
 * Lookups by key, by service name and by subscribed group are index (Map) lookups, never scans.
 * Every read returns deep copies and every write stores a deep copy, so callers can never
 * change stored state by mutating objects. Each call is applied synchronously inside one
 * microtask, so concurrent calls are atomic with respect to each other.
 */
export class MemoryStore implements RegistryStore {
  readonly name = NAME;
  readonly #services = new Map<string, StoredPod>();
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
    this.#save(this.#copyIn(service, 'saveService'));
  }

  async getService(key: string): Promise<ServiceInfo | undefined> {
    this.#open('getService');
    const found = this.#services.get(key);
    return found === undefined ? undefined : toServiceInfo(found);
  }

  async getServicesByName(serviceName: string): Promise<ServiceInfo[]> {
    this.#open('getServicesByName');
    return this.#copies(this.#byName.get(serviceName));
  }

  async getAllServices(): Promise<ServiceInfo[]> {
    this.#open('getAllServices');
    const out = new Array<ServiceInfo>(this.#services.size);
    let i = 0;
    for (const s of this.#services.values()) out[i++] = toServiceInfo(s);
    return out;
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
    return this.#health(key, status, at.getTime());
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
    return this.#copies(this.#subscribers.get(serviceGroup));
  }

  /**
   * Applies the batch in order, all or nothing: every mutation is checked and copied before the
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
      if (m.type === 'save') return { type: 'save', service: this.#copyIn(m.service, 'applyBatch', where) };
      if (m.type === 'delete' && typeof m.key === 'string') return { type: 'delete', key: m.key };
      if (m.type === 'health' && typeof m.key === 'string' && validDate(m.at)) {
        return { type: 'health', key: m.key, status: m.status, at: m.at.getTime() };
      }
    }
    throw new StoreError(NAME, 'applyBatch', `${where}not a valid save, delete or health change; nothing was applied`);
  }

  /** A deep copy of a caller's record; a malformed record is rejected before anything changes. */
  #copyIn(service: ServiceInfo, operation: StoreOperation, where = ''): StoredPod {
    const fail = (problem: string, cause?: unknown) =>
      new StoreError(NAME, operation, `${where}${problem}${where ? '; nothing was applied' : ''}`, { cause });
    let copy: StoredPod;
    try {
      copy = {
        serviceName: service.serviceName,
        podName: service.podName,
        providers: service.providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port })),
        healthCheckUrl: service.healthCheckUrl,
        notificationUrl: service.notificationUrl,
        subscriptions: service.subscriptions.slice(),
        status: service.status,
        lastHealthCheck: epoch(service.lastHealthCheck),
        registeredAt: epoch(service.registeredAt),
        updatedAt: epoch(service.updatedAt),
      };
    } catch (error) {
      throw fail('the pod record is malformed (validate registrations before saving them)', error);
    }
    for (const field of ['lastHealthCheck', 'registeredAt', 'updatedAt'] as const) {
      if (Number.isNaN(copy[field])) throw fail(`${field} is not a valid date`);
    }
    return copy;
  }

  #copies(keys: Set<string> | undefined): ServiceInfo[] {
    if (keys === undefined) return [];
    const out: ServiceInfo[] = [];
    for (const key of keys) {
      const s = this.#services.get(key);
      if (s !== undefined) out.push(toServiceInfo(s));
    }
    return out;
  }

  /** Stores `copy` (already a private copy) and makes the pod's subscription index match it. */
  #save(copy: StoredPod): void {
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

  #health(key: string, status: ServiceStatus, at: number): boolean {
    const existing = this.#services.get(key);
    if (existing === undefined) return false;
    existing.status = status;
    existing.lastHealthCheck = at;
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
  | { type: 'save'; service: StoredPod }
  | { type: 'delete'; key: string }
  | { type: 'health'; key: string; status: ServiceStatus; at: number };

/** A caller's copy of a stored pod (fresh arrays, providers and dates). */
function toServiceInfo(pod: StoredPod): ServiceInfo {
  return {
    serviceName: pod.serviceName,
    podName: pod.podName,
    providers: pod.providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port })),
    healthCheckUrl: pod.healthCheckUrl,
    notificationUrl: pod.notificationUrl,
    subscriptions: pod.subscriptions.slice(),
    status: pod.status,
    lastHealthCheck: new Date(pod.lastHealthCheck),
    registeredAt: new Date(pod.registeredAt),
    updatedAt: new Date(pod.updatedAt),
  };
}

/** Epoch milliseconds of a Date; NaN for anything that is not a valid Date. */
function epoch(value: unknown): number {
  return value instanceof Date ? value.getTime() : Number.NaN;
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
