import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signing time, in Unix milliseconds. */
export const TIMESTAMP_HEADER = 'x-governance-timestamp';
/** Header carrying `sha256=<hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`)>`. */
export const SIGNATURE_HEADER = 'x-governance-signature';

/** The two headers of a signed notification. */
export interface NotificationSignatureHeaders {
  'x-governance-timestamp': string;
  'x-governance-signature': string;
}

function hmac(secret: string, timestamp: string, body: string | Uint8Array): Buffer {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return mac.digest();
}

/**
 * Signs a notification body. The scheme: the sender takes the current time in Unix ms as
 * `timestamp`, computes `HMAC-SHA256(secret, `${timestamp}.${rawBody}`)` over the exact bytes it
 * sends, and adds the headers `x-governance-timestamp: <timestamp>` and
 * `x-governance-signature: sha256=<lowercase hex>`. Receivers recompute the MAC over the raw
 * body they received, compare in constant time, and refuse timestamps too far from their clock
 * (replays).
 */
export function signNotification(
  secret: string,
  body: string | Uint8Array,
  timestampMs: number = Date.now(),
): NotificationSignatureHeaders {
  const timestamp = String(Math.trunc(timestampMs));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `sha256=${hmac(secret, timestamp, body).toString('hex')}`,
  } as NotificationSignatureHeaders;
}

/** Options of `verifyNotificationSignature`. */
export interface VerifyOptions {
  /** Largest accepted distance between the timestamp and now, in ms. Default 300000. */
  maxSkewMs?: number;
  /** The receiver's clock, in Unix ms. Default `Date.now()`. */
  now?: number;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks the signature headers of a received notification against one or more secrets (several
 * during a secret rotation). Resolves the reason when it fails, so the receiver can answer 401.
 */
export function verifyNotificationSignature(
  secrets: string | readonly string[],
  rawBody: string | Uint8Array,
  headers: Record<string, string | string[] | undefined>,
  options: VerifyOptions = {},
): { ok: true } | { ok: false; reason: string } {
  const timestamp = single(headers[TIMESTAMP_HEADER]);
  const signature = single(headers[SIGNATURE_HEADER]);
  if (timestamp === undefined || signature === undefined) {
    return { ok: false, reason: `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header` };
  }
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} must be Unix milliseconds` };
  const maxSkewMs = options.maxSkewMs ?? 300_000;
  const now = options.now ?? Date.now();
  if (Math.abs(now - Number(timestamp)) > maxSkewMs) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is more than ${maxSkewMs} ms away from now (replay or clock skew)` };
  }
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
  if (!match) return { ok: false, reason: `${SIGNATURE_HEADER} must be sha256=<64 hex digits>` };
  const given = Buffer.from(match[1]!, 'hex');
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  let valid = false;
  for (const secret of list) {
    if (timingSafeEqual(given, hmac(secret, timestamp, rawBody))) valid = true;
  }
  return valid ? { ok: true } : { ok: false, reason: 'signature does not match the body' };
}
