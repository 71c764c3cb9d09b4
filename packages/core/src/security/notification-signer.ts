import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** Header carrying the signing time, in Unix milliseconds. */
export const NOTIFICATION_TIMESTAMP_HEADER = 'x-governance-timestamp';
/** Header naming the receiver the notification is addressed to: its subscriber key `service:pod`. */
export const NOTIFICATION_TARGET_HEADER = 'x-governance-target';
/** Header carrying the signatures: `v1=<hex>` (see {@link createNotificationSigner}). */
export const NOTIFICATION_SIGNATURE_HEADER = 'x-governance-signature';

/** What a signature binds besides the body. */
export interface SignedDelivery {
  /** The notification's revision, also sent as the `x-governance-revision` header. */
  revision: number;
  /** The receiver: the subscriber key `serviceName:podName`. */
  target: string;
}

/** Signs one delivery attempt: returns the headers to add (timestamp, target, signature). */
export type NotificationSigner = (body: Uint8Array, delivery: SignedDelivery, nowMs?: number) => Record<string, string>;

/**
 * The signed material of scheme `v1`: each field on its own line, then the exact body bytes —
 * `v1\n<timestamp>\n<revision>\n<target>\n<body>`. The timestamp and revision are decimal
 * digits and the target is a subscriber key, which cannot contain a line break (names refuse
 * control characters), so no two deliveries share the same material. The leading `v1` keeps a
 * later scheme's material apart from this one.
 */
export function signedMaterialV1(timestamp: string, delivery: SignedDelivery): string {
  return `v1\n${timestamp}\n${delivery.revision}\n${delivery.target}\n`;
}

/**
 * Creates the signer the notifier calls for every delivery attempt (so a retry carries a fresh
 * timestamp). The scheme, which `@governance/client`'s receiver verifies: with `timestamp` the
 * current Unix time in ms, send `x-governance-timestamp: <timestamp>`,
 * `x-governance-target: <subscriber key>`, `x-governance-revision: <revision>` (the notifier
 * sends it with every notification) and
 * `x-governance-signature: v1=<lowercase hex HMAC-SHA256(secret, signedMaterialV1 + body)>`.
 * The signature binds the body, the time, the revision and the receiver, so a captured
 * delivery cannot be replayed to another subscriber that shares the secret, nor with another
 * revision. The header may list several `scheme=hex` entries separated by commas; receivers
 * check the ones they know (a later scheme can be sent next to `v1`). The body is read, never
 * copied.
 */
export function createNotificationSigner(secret: string): NotificationSigner {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('[core] notificationSecret must be a non-empty string');
  }
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'));
  return (body, delivery, nowMs = Date.now()) => {
    const timestamp = String(Math.trunc(nowMs));
    const mac = createHmac('sha256', key);
    mac.update(signedMaterialV1(timestamp, delivery));
    mac.update(body);
    return {
      [NOTIFICATION_TIMESTAMP_HEADER]: timestamp,
      [NOTIFICATION_TARGET_HEADER]: delivery.target,
      [NOTIFICATION_SIGNATURE_HEADER]: `v1=${mac.digest('hex')}`,
    };
  };
}
