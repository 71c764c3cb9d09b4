import type { EventType, ServiceInfo } from '../model';
import { toNotificationPayload } from '../wire';

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
  return Buffer.from(JSON.stringify(toNotificationPayload(group, eventType, pods, at, revision)), 'utf8');
}
