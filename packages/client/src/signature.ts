import { createHmac, timingSafeEqual } from 'node:crypto';
import { REVISION_HEADER, parseRevisionHeader } from './wire.js';

/** Header carrying the signing time, in Unix milliseconds. */
export const TIMESTAMP_HEADER = 'x-governance-timestamp';
/** Header naming the receiver a notification is addressed to: `serviceName:podName`. */
export const TARGET_HEADER = 'x-governance-target';
/** Header carrying the signatures, `v1=<hex>` (several `scheme=hex` entries may be listed, comma-separated). */
export const SIGNATURE_HEADER = 'x-governance-signature';

/** The pod a receiver belongs to: a signed notification must be addressed to it. */
export interface Subscriber {
  serviceName: string;
  podName: string;
}

/** The headers of a signed notification. */
export interface NotificationSignatureHeaders {
  'x-governance-timestamp': string;
  'x-governance-revision': string;
  'x-governance-target': string;
  'x-governance-signature': string;
}

/** The subscriber key the manager signs for: `serviceName:podName`. */
export function subscriberKey(subscriber: Subscriber): string {
  return `${subscriber.serviceName}:${subscriber.podName}`;
}

function macV1(secret: string, timestamp: string, revision: number, target: string, body: string | Uint8Array): Buffer {
  const mac = createHmac('sha256', secret);
  mac.update(`v1\n${timestamp}\n${revision}\n${target}\n`);
  mac.update(body);
  return mac.digest();
}

/**
 * Signs a notification as the manager does (scheme `v1`): with `timestamp` the time in Unix ms,
 * `HMAC-SHA256(secret, "v1\n<timestamp>\n<revision>\n<target>\n" + rawBody)` over the exact bytes
 * sent, where `target` is the receiver's `serviceName:podName`. The headers carry the timestamp,
 * the revision, the target and `v1=<lowercase hex>`. Binding the receiver means a delivery
 * captured on its way to one pod is refused by every other pod, even one that shares the secret.
 */
export function signNotification(
  secret: string,
  body: string | Uint8Array,
  delivery: { revision: number; subscriber: Subscriber; timestampMs?: number },
): NotificationSignatureHeaders {
  const timestamp = String(Math.trunc(delivery.timestampMs ?? Date.now()));
  const target = subscriberKey(delivery.subscriber);
  return {
    'x-governance-timestamp': timestamp,
    'x-governance-revision': String(delivery.revision),
    'x-governance-target': target,
    'x-governance-signature': `v1=${macV1(secret, timestamp, delivery.revision, target, body).toString('hex')}`,
  };
}

/** Options of `verifyNotificationSignature`. */
export interface VerifyOptions {
  /** This receiver: the signature must name it. */
  subscriber: Subscriber;
  /** Largest accepted distance between the timestamp and now, in ms. Default 300000. */
  maxSkewMs?: number;
  /** The receiver's clock, in Unix ms. Default `Date.now()`. */
  now?: number;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

/** The `v1` signatures of a signature header (`v1=<hex>[, v1=<hex>][, v2=…]`); other schemes are skipped. */
function v1Signatures(header: string): Buffer[] {
  const found: Buffer[] = [];
  for (const entry of header.split(',')) {
    const match = /^\s*v1=([0-9a-fA-F]{64})\s*$/.exec(entry);
    if (match) found.push(Buffer.from(match[1]!, 'hex'));
  }
  return found;
}

/**
 * Checks a received notification against one or more secrets (several during a rotation): a
 * fresh timestamp, a revision, an addressee that is this receiver, and a `v1` signature over
 * all of them and the raw body. Resolves the reason when it fails, so the receiver can answer
 * 401.
 */
export function verifyNotificationSignature(
  secrets: string | readonly string[],
  rawBody: string | Uint8Array,
  headers: Record<string, string | string[] | undefined>,
  options: VerifyOptions,
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
  const revision = parseRevisionHeader(headers[REVISION_HEADER]);
  if (revision === undefined) return { ok: false, reason: `missing ${REVISION_HEADER} header (it is signed)` };
  if (typeof revision === 'string') return { ok: false, reason: revision };
  const target = subscriberKey(options.subscriber);
  const addressedTo = single(headers[TARGET_HEADER]);
  if (addressedTo !== undefined && addressedTo !== target) {
    return { ok: false, reason: `addressed to ${JSON.stringify(addressedTo.slice(0, 300))}, not to this receiver (${JSON.stringify(target)}): a replayed delivery or a misrouted URL` };
  }
  const given = v1Signatures(signature);
  if (given.length === 0) {
    return {
      ok: false,
      reason: `${SIGNATURE_HEADER} has no v1=<64 hex digits> entry (a manager older than this client signs with sha256=…; upgrade it)`,
    };
  }
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  let valid = false;
  for (const secret of list) {
    const expected = macV1(secret, timestamp, revision, target, rawBody);
    for (const candidate of given) if (timingSafeEqual(candidate, expected)) valid = true;
  }
  return valid ? { ok: true } : { ok: false, reason: 'signature does not match the body, revision and receiver' };
}
