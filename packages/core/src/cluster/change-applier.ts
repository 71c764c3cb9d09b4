import type { RegistryChange, RegistrySnapshot } from '../coordination';
import { keyOf, sameRegistration, type ServiceInfo } from '../model';
import type { EventSink } from '../manager/events';
import { GroupChanges, type GroupNotifications } from '../manager/group-notifications';
import type { ProbeTracking } from '../manager/probe-tracking';
import type { RegistryView } from '../manager/registry-view';

/**
 * Brings the view up to what the database holds, from the change log: each change replaces
 * (or removes) its pod's record, sets its group's revision to the change's seq, keeps the probe
 * pool in step, and tells the host and the subscribers this replica owns — the same effects a
 * single manager has for its own writes, for every replica's writes.
 */
export class ChangeApplier {
  readonly #view: RegistryView;
  readonly #probes: ProbeTracking;
  readonly #outbox: GroupNotifications;
  readonly #events: EventSink;
  /** Told about every pod that enters or leaves the view (ownership bookkeeping). */
  readonly #tracked: { added(key: string, service: ServiceInfo): void; removed(key: string): void };

  constructor(
    view: RegistryView,
    probes: ProbeTracking,
    outbox: GroupNotifications,
    events: EventSink,
    tracked: { added(key: string, service: ServiceInfo): void; removed(key: string): void },
  ) {
    this.#view = view;
    this.#probes = probes;
    this.#outbox = outbox;
    this.#events = events;
    this.#tracked = tracked;
  }

  /**
   * Applies changes in seq order. `records` holds the current record of each changed key
   * (absent: deleted), possibly newer than the change itself (a later change of the same key
   * is then applied as a no-op).
   */
  apply(changes: readonly RegistryChange[], records: ReadonlyMap<string, ServiceInfo>): void {
    const groups = new GroupChanges();
    for (const change of changes) {
      this.#view.setRevision(change.group, change.seq);
      this.#put(change.key, records.get(change.key), groups);
    }
    groups.send(this.#outbox);
  }

  /**
   * Replaces the whole view with a snapshot (after falling behind the pruned log), with the
   * same effects as the changes in between; then every subscriber this replica owns gets a
   * `reconcile` of every group it subscribes to, so nothing missed stays missed.
   */
  reload(snapshot: RegistrySnapshot): void {
    const groups = new GroupChanges();
    const present = new Set<string>();
    for (const service of snapshot.services) {
      const key = keyOf(service);
      present.add(key);
      this.#put(key, service, groups);
    }
    for (const service of [...this.#view.values()]) {
      const key = keyOf(service);
      if (!present.has(key)) this.#put(key, undefined, groups);
    }
    for (const [group, revision] of snapshot.groupRevisions) this.#view.setRevision(group, revision);
    groups.send(this.#outbox);
    this.#outbox.reconcileAll();
  }

  #put(key: string, record: ServiceInfo | undefined, groups: GroupChanges): void {
    const before = this.#view.get(key);
    if (record === undefined) {
      if (before === undefined) return;
      this.#view.delete(key);
      this.#probes.removed(key);
      this.#tracked.removed(key);
      groups.unregistered(before);
      return;
    }
    if (before !== undefined && sameRecord(before, record)) return;
    this.#view.set(record);
    if (before === undefined || !sameRegistration(before, record)) {
      this.#probes.changed(key, before, record);
      this.#tracked.added(key, record);
      groups.registered(key, before, record);
    } else if (before.status !== record.status) {
      groups.statusChanged(record);
      this.#events.emit('statusChanged', record, before.status);
    }
  }
}

function sameRecord(a: ServiceInfo, b: ServiceInfo): boolean {
  return (
    a.status === b.status &&
    a.lastHealthCheck.getTime() === b.lastHealthCheck.getTime() &&
    a.updatedAt.getTime() === b.updatedAt.getTime() &&
    sameRegistration(a, b)
  );
}
