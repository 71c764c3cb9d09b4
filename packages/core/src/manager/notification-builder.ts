import type { EventType, NotificationPayload, NotificationPod, ServiceInfo } from '../model';
import { toNotificationPod } from '../wire';

/**
 * Builds the Go-compatible notification for one group and serializes it once. The returned
 * Buffer is shared by every delivery of this change; nothing re-serializes it per subscriber.
 */
export function buildNotification(
  group: string,
  eventType: EventType,
  pods: readonly ServiceInfo[],
  revision: number,
  at: Date = new Date(),
): Buffer {
  const wirePods: NotificationPod[] = new Array(pods.length);
  for (let i = 0; i < pods.length; i++) wirePods[i] = toNotificationPod(pods[i]!);
  const payload: NotificationPayload = {
    service_name: group,
    event_type: eventType,
    timestamp: at.toISOString(),
    pods: wirePods,
    revision,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
