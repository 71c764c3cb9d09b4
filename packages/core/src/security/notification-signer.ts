import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** Header carrying the signing time, in Unix milliseconds. */
export const NOTIFICATION_TIMESTAMP_HEADER = 'x-governance-timestamp';
/** Header carrying `sha256=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>`. */
export const NOTIFICATION_SIGNATURE_HEADER = 'x-governance-signature';

/** Signs one notification body: returns the two headers to send with it. */
export type NotificationSigner = (body: Uint8Array, nowMs?: number) => Record<string, string>;

/**
 * Creates the signer the notifier calls for every delivery attempt (so a retry carries a fresh
 * timestamp). The scheme, which `@governance/client`'s receiver verifies: with `timestamp` the
 * current Unix time in ms, send `x-governance-timestamp: <timestamp>` and
 * `x-governance-signature: sha256=<lowercase hex HMAC-SHA256(secret, `${timestamp}.` + body)>`,
 * the MAC taken over exactly the bytes posted. The body is read, never copied.
 */
export function createNotificationSigner(secret: string): NotificationSigner {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('[core] notificationSecret must be a non-empty string');
  }
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'));
  return (body, nowMs = Date.now()) => {
    const timestamp = String(Math.trunc(nowMs));
    const mac = createHmac('sha256', key);
    mac.update(`${timestamp}.`);
    mac.update(body);
    return {
      [NOTIFICATION_TIMESTAMP_HEADER]: timestamp,
      [NOTIFICATION_SIGNATURE_HEADER]: `sha256=${mac.digest('hex')}`,
    };
  };
}
