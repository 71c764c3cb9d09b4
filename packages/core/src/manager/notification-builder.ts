import type { EventType, ServiceInfo } from '../model';
import { toNotificationPayload, type WireProfile } from '../wire';

/**
 * Builds the notification for one group in the profile's shape and serializes it once. The
 * returned Buffer is shared by every delivery of this change; nothing re-serializes it per
 * subscriber.
 */
export function buildNotification(
  profile: WireProfile,
  group: string,
  eventType: EventType,
  pods: readonly ServiceInfo[],
  revision: number,
  at: Date = new Date(),
): Buffer {
  return Buffer.from(JSON.stringify(toNotificationPayload(profile, group, eventType, pods, at, revision)), 'utf8');
}
