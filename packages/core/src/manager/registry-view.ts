import { cloneService, keyOf, type ServiceInfo, type ServiceStatus } from '../model';

/**
 * The engine's in-memory picture of the store: every pod by key, the pods of each service
 * group, and the subscribers of each group. It is loaded from the store on start and changed
 * only by the ordered lane, after the store has applied a change — so it always equals what
 * the store holds, and can be rebuilt from it at any time.
 *
 * Stored records are never mutated in place: a change replaces the record, so a record handed
 * to a payload builder stays consistent. Reads that leave the engine must clone.
 */
export class RegistryView {
  readonly #services = new Map<string, ServiceInfo>();
  readonly #byName = new Map<string, Set<string>>();
  readonly #subscribers = new Map<string, Set<string>>();
  readonly #counts: Record<ServiceStatus, number> = { healthy: 0, unhealthy: 0, unknown: 0 };
  /** Cluster mode: the seq of each group's last change (revisions only ever grow; kept by `clear`). */
  readonly #revisions = new Map<string, number>();

  get size(): number {
    return this.#services.size;
  }

  get(key: string): ServiceInfo | undefined {
    return this.#services.get(key);
  }

  has(key: string): boolean {
    return this.#services.has(key);
  }

  /** Inserts or replaces a record (which the view now owns) and re-indexes it. */
  set(service: ServiceInfo): void {
    const key = keyOf(service);
    const previous = this.#services.get(key);
    if (previous !== undefined && sameIndexEntries(previous, service)) {
      // Health updates and most re-registrations keep the group and the subscriptions.
      this.#services.set(key, service);
      this.#counts[previous.status]--;
      this.#counts[service.status]++;
      return;
    }
    if (previous !== undefined) this.#unindex(key, previous);
    this.#services.set(key, service);
    this.#counts[service.status]++;
    let pods = this.#byName.get(service.serviceName);
    if (pods === undefined) this.#byName.set(service.serviceName, (pods = new Set()));
    pods.add(key);
    for (const group of service.subscriptions) {
      let subs = this.#subscribers.get(group);
      if (subs === undefined) this.#subscribers.set(group, (subs = new Set()));
      subs.add(key);
    }
  }

  /** Raises `group`'s revision to `revision` (a lower one is ignored: revisions never go backwards). */
  setRevision(group: string, revision: number): void {
    if (revision > (this.#revisions.get(group) ?? 0)) this.#revisions.set(group, revision);
  }

  /** The seq of `group`'s last change known to this view; 0 when it never changed. */
  revisionOf(group: string): number {
    return this.#revisions.get(group) ?? 0;
  }

  /** Removes a record; returns it, or `undefined` when there was none. */
  delete(key: string): ServiceInfo | undefined {
    const previous = this.#services.get(key);
    if (previous === undefined) return undefined;
    this.#unindex(key, previous);
    this.#services.delete(key);
    return previous;
  }

  clear(): void {
    this.#services.clear();
    this.#byName.clear();
    this.#subscribers.clear();
    this.#counts.healthy = this.#counts.unhealthy = this.#counts.unknown = 0;
  }

  /** The records of one group (owned by the view: do not mutate, clone before handing out). */
  podsOf(group: string): ServiceInfo[] {
    const keys = this.#byName.get(group);
    const out: ServiceInfo[] = [];
    if (keys === undefined) return out;
    for (const key of keys) out.push(this.#services.get(key)!);
    return out;
  }

  /** Keys of the pods subscribed to `group`. */
  subscribersOf(group: string): ReadonlySet<string> | undefined {
    return this.#subscribers.get(group);
  }

  /** Every group at least one pod subscribes to. */
  subscribedGroups(): IterableIterator<string> {
    return this.#subscribers.keys();
  }

  /** Every service name with at least one pod. */
  groups(): IterableIterator<string> {
    return this.#byName.keys();
  }

  values(): IterableIterator<ServiceInfo> {
    return this.#services.values();
  }

  /** Pods per status. */
  counts(): { healthy: number; unhealthy: number; unknown: number; total: number } {
    const c = this.#counts;
    return { healthy: c.healthy, unhealthy: c.unhealthy, unknown: c.unknown, total: this.#services.size };
  }

  /** Pods per status of every service group (no copies of the records: cheap for metrics). */
  countsByGroup(): Map<string, Record<ServiceStatus, number>> {
    const out = new Map<string, Record<ServiceStatus, number>>();
    for (const [group, keys] of this.#byName) {
      const counts = { healthy: 0, unhealthy: 0, unknown: 0 };
      for (const key of keys) counts[this.#services.get(key)!.status]++;
      out.set(group, counts);
    }
    return out;
  }

  /** Deep copies of every pod, grouped by service name. */
  snapshotByGroup(): Map<string, ServiceInfo[]> {
    const out = new Map<string, ServiceInfo[]>();
    for (const [group, keys] of this.#byName) {
      const pods: ServiceInfo[] = [];
      for (const key of keys) pods.push(cloneService(this.#services.get(key)!));
      out.set(group, pods);
    }
    return out;
  }

  #unindex(key: string, service: ServiceInfo): void {
    this.#counts[service.status]--;
    const pods = this.#byName.get(service.serviceName);
    if (pods !== undefined) {
      pods.delete(key);
      if (pods.size === 0) this.#byName.delete(service.serviceName);
    }
    for (const group of service.subscriptions) {
      const subs = this.#subscribers.get(group);
      if (subs === undefined) continue;
      subs.delete(key);
      if (subs.size === 0) this.#subscribers.delete(group);
    }
  }
}

function sameIndexEntries(a: ServiceInfo, b: ServiceInfo): boolean {
  if (a.serviceName !== b.serviceName) return false;
  if (a.subscriptions === b.subscriptions) return true;
  if (a.subscriptions.length !== b.subscriptions.length) return false;
  for (let i = 0; i < a.subscriptions.length; i++) if (a.subscriptions[i] !== b.subscriptions[i]) return false;
  return true;
}
