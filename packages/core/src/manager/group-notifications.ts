import type { EventType, ServiceInfo } from '../model';
import { buildNotification } from './notification-builder';
import type { GroupWatchers } from './group-watchers';
import type { DeliveryTarget, Notifier } from './notifier';
import type { RegistryView } from './registry-view';
import type { WireProfile } from '../wire';

/**
 * Turns a change of a service group into one notification: the group's payload is built and
 * serialized once, stamped with the next revision, and handed to the notifier together with the
 * subscriber targets looked up in the view's group → subscribers index.
 */
export class GroupNotifications {
  readonly #view: RegistryView;
  readonly #notifier: Notifier;
  readonly #revisionFor: (group: string, change: boolean) => number;
  readonly #profile: WireProfile;
  readonly #mayNotify: ((subscriberKey: string) => boolean) | undefined;
  readonly #watchers: GroupWatchers | undefined;

  /**
   * @param revisionFor the revision a payload of `group` carries now: the next value of a
   *   revision clock (one manager; for a `change` it also becomes the group's revision in the
   *   view), or the seq of the group's last change (cluster mode).
   * @param mayNotify cluster mode: whether this replica delivers to a subscriber (owns it).
   * @param watchers pull-mode watchers, told about every change (not about reconciles).
   */
  constructor(
    view: RegistryView,
    notifier: Notifier,
    revisionFor: (group: string, change: boolean) => number,
    profile: WireProfile,
    mayNotify?: (subscriberKey: string) => boolean,
    watchers?: GroupWatchers,
  ) {
    this.#view = view;
    this.#notifier = notifier;
    this.#revisionFor = revisionFor;
    this.#profile = profile;
    this.#mayNotify = mayNotify;
    this.#watchers = watchers;
  }

  /** The group's current state as a payload of `eventType` (for a watcher's first event). */
  payloadOf(group: string, eventType: EventType, revision: number): Buffer {
    return buildNotification(this.#profile, group, eventType, this.#view.podsOf(group), revision);
  }

  /**
   * Sends the group's current pods to every subscriber of the group (and, unless it is a
   * `reconcile`, to its watchers: the group changed); returns how many subscribers.
   */
  toSubscribers(group: string, eventType: EventType): number {
    const subscribers = this.#view.subscribersOf(group);
    const targets: DeliveryTarget[] = [];
    const mayNotify = this.#mayNotify;
    if (subscribers !== undefined) {
      for (const subscriberKey of subscribers) {
        if (mayNotify !== undefined && !mayNotify(subscriberKey)) continue;
        const subscriber = this.#view.get(subscriberKey);
        if (subscriber !== undefined) targets.push({ subscriberKey, url: subscriber.notificationUrl });
      }
    }
    if (eventType === 'reconcile') {
      this.toTargets(group, eventType, targets);
      return targets.length;
    }
    const revision = this.#revisionFor(group, true);
    let body: Buffer | undefined;
    const build = (): Buffer => (body ??= this.payloadOf(group, eventType, revision));
    this.#watchers?.publish(group, revision, eventType, build);
    if (targets.length > 0) this.#notifier.send(build(), targets, { group, eventType, revision });
    return targets.length;
  }

  /** Sends the group's current pods to the given targets only. */
  toTargets(group: string, eventType: EventType, targets: readonly DeliveryTarget[]): void {
    const mayNotify = this.#mayNotify;
    if (mayNotify !== undefined) targets = targets.filter((t) => mayNotify(t.subscriberKey));
    if (targets.length === 0) return;
    const revision = this.#revisionFor(group, false);
    const body = this.payloadOf(group, eventType, revision);
    this.#notifier.send(body, targets, { group, eventType, revision });
  }

  /** A pod was removed: nothing more is sent to it (waiting deliveries dropped, POSTs in flight aborted). */
  subscriberRemoved(key: string): void {
    this.#notifier.forget([key], { abort: true });
  }

  /** A `reconcile` of every group it subscribes to, for each of these subscribers (cluster hand-over). */
  reconcileSubscribers(keys: readonly string[]): void {
    const byGroup = new Map<string, DeliveryTarget[]>();
    for (const subscriberKey of keys) {
      const subscriber = this.#view.get(subscriberKey);
      if (subscriber === undefined) continue;
      for (const group of subscriber.subscriptions) {
        let targets = byGroup.get(group);
        if (targets === undefined) byGroup.set(group, (targets = []));
        targets.push({ subscriberKey, url: subscriber.notificationUrl });
      }
    }
    for (const [group, targets] of byGroup) this.toTargets(group, 'reconcile', targets);
  }

  /** A `reconcile` for every group some pod subscribes to, including groups without pods. */
  reconcileAll(): { groups: number; deliveries: number } {
    let groups = 0;
    let deliveries = 0;
    for (const group of [...this.#view.subscribedGroups()]) {
      groups++;
      deliveries += this.toSubscribers(group, 'reconcile');
    }
    return { groups, deliveries };
  }
}

/**
 * The notifications one committed batch causes, collected per group so that each changed group
 * is notified once, with the event of its first change in the batch (`register`/`unregister`
 * before a status `update`). A pod that newly subscribes to a group the batch did not change
 * gets that group's current state right away (`reconcile`), without waiting for the periodic one.
 */
export class GroupChanges {
  readonly #groups = new Map<string, EventType>();
  readonly #joined = new Map<string, DeliveryTarget[]>();

  /** A pod was created or its content changed. */
  registered(key: string, before: ServiceInfo | undefined, current: ServiceInfo): void {
    this.#groups.set(current.serviceName, 'register');
    for (const group of current.subscriptions) {
      if (before !== undefined && before.subscriptions.includes(group)) continue;
      let targets = this.#joined.get(group);
      if (targets === undefined) this.#joined.set(group, (targets = []));
      targets.push({ subscriberKey: key, url: current.notificationUrl });
    }
  }

  /** A pod was removed. */
  unregistered(service: ServiceInfo): void {
    this.#groups.set(service.serviceName, 'unregister');
  }

  /** A pod's health status changed. */
  statusChanged(service: ServiceInfo): void {
    if (!this.#groups.has(service.serviceName)) this.#groups.set(service.serviceName, 'update');
  }

  /** Sends what was collected. */
  send(outbox: GroupNotifications): void {
    for (const [group, eventType] of this.#groups) outbox.toSubscribers(group, eventType);
    for (const [group, targets] of this.#joined) {
      if (!this.#groups.has(group)) outbox.toTargets(group, 'reconcile', targets);
    }
  }
}
