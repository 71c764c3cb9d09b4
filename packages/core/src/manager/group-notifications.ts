import type { EventType } from '../model';
import { buildNotification } from './notification-builder';
import type { DeliveryTarget, Notifier } from './notifier';
import type { RegistryView } from './registry-view';
import type { RevisionClock } from './revision';

/**
 * Turns a change of a service group into one notification: the group's payload is built and
 * serialized once, stamped with the next revision, and handed to the notifier together with the
 * subscriber targets looked up in the view's group → subscribers index.
 */
export class GroupNotifications {
  readonly #view: RegistryView;
  readonly #notifier: Notifier;
  readonly #clock: RevisionClock;

  constructor(view: RegistryView, notifier: Notifier, clock: RevisionClock) {
    this.#view = view;
    this.#notifier = notifier;
    this.#clock = clock;
  }

  /** Sends the group's current pods to every subscriber of the group; returns how many. */
  toSubscribers(group: string, eventType: EventType): number {
    const subscribers = this.#view.subscribersOf(group);
    if (subscribers === undefined || subscribers.size === 0) return 0;
    const targets: DeliveryTarget[] = [];
    for (const subscriberKey of subscribers) {
      const subscriber = this.#view.get(subscriberKey);
      if (subscriber !== undefined) targets.push({ subscriberKey, url: subscriber.notificationUrl });
    }
    this.toTargets(group, eventType, targets);
    return targets.length;
  }

  /** Sends the group's current pods to the given targets only. */
  toTargets(group: string, eventType: EventType, targets: readonly DeliveryTarget[]): void {
    if (targets.length === 0) return;
    const revision = this.#clock.next();
    const body = buildNotification(group, eventType, this.#view.podsOf(group), revision);
    this.#notifier.send(body, targets, { group, eventType, revision });
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
