import { cloneService } from '../model';
import type { PlannedChange } from './batch-plan';
import type { EventSink } from './events';
import { GroupChanges, type GroupNotifications } from './group-notifications';
import type { ProbeTracking } from './probe-tracking';
import type { RegistryView } from './registry-view';

/**
 * What happens once the store has applied a batch, in lane order: the view takes each change,
 * the probe pool follows (`ProbeTracking`), each caller's promise is settled with a copy of the
 * stored record, the host hears the events, and every group the batch changed is notified once
 * (`GroupChanges`). Nothing here touches the store.
 */
export class CommitEffects {
  readonly #view: RegistryView;
  readonly #probes: ProbeTracking;
  readonly #outbox: GroupNotifications;
  readonly #events: EventSink;

  constructor(view: RegistryView, probes: ProbeTracking, outbox: GroupNotifications, events: EventSink) {
    this.#view = view;
    this.#probes = probes;
    this.#outbox = outbox;
    this.#events = events;
  }

  /**
   * Cluster mode: the change tail already applied the batch's entries (view, probes, events of
   * status changes, notifications); this answers the callers and emits their events.
   */
  settle(plan: readonly PlannedChange[]): void {
    for (const change of plan) {
      const { item, key, before } = change;
      if (item.kind === 'register') {
        const current = this.#view.get(key) ?? change.after ?? before!;
        item.resolve({ service: cloneService(current), outcome: change.outcome! });
        this.#events.emit('registered', current, change.outcome!);
      } else if (item.kind === 'unregister') {
        item.resolve(before !== undefined);
        if (before !== undefined) this.#events.emit('unregistered', before);
      }
    }
  }

  /** Applies the effects of a plan the store has durably applied. */
  apply(plan: readonly PlannedChange[]): void {
    const changes = new GroupChanges();
    for (const change of plan) {
      const { item, key, before, after } = change;
      if (after === null) this.#view.delete(key);
      else if (after !== undefined) this.#view.set(after);

      if (item.kind === 'register') {
        const current = this.#view.get(key)!;
        if (change.outcome !== 'unchanged') {
          this.#probes.changed(key, before, current);
          changes.registered(key, before, current);
        }
        item.resolve({ service: cloneService(current), outcome: change.outcome! });
        this.#events.emit('registered', current, change.outcome!);
      } else if (item.kind === 'unregister') {
        if (before === undefined) {
          item.resolve(false);
          continue;
        }
        this.#probes.removed(key);
        changes.unregistered(before);
        item.resolve(true);
        this.#events.emit('unregistered', before);
      } else if (before !== undefined && after != null && before.status !== after.status) {
        changes.statusChanged(after);
        this.#events.emit('statusChanged', after, before.status);
      }
    }
    changes.send(this.#outbox);
  }
}
