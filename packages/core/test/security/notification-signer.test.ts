import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyNotificationSignature } from '@governance/client';
import { createNotificationSigner } from '../../src/security/notification-signer';

const SECRET = 'a-notification-secret-123';

describe('createNotificationSigner', () => {
  it('signs HMAC-SHA256(secret, "<timestamp>." + body) as sha256=<hex>', () => {
    const body = Buffer.from('{"service_name":"eir","event_type":"register"}');
    const headers = createNotificationSigner(SECRET)(body, 1_700_000_000_123.9);
    const expected = createHmac('sha256', SECRET).update(`1700000000123.${body.toString()}`).digest('hex');
    expect(headers).toEqual({
      'x-governance-timestamp': '1700000000123',
      'x-governance-signature': `sha256=${expected}`,
    });
  });

  it('produces what the client receiver accepts, and only with the same secret and body', () => {
    const body = Buffer.from('{"a":1}');
    const headers = createNotificationSigner(SECRET)(body);
    expect(verifyNotificationSignature(SECRET, body, headers)).toEqual({ ok: true });
    expect(verifyNotificationSignature('another-secret-456789', body, headers).ok).toBe(false);
    expect(verifyNotificationSignature(SECRET, Buffer.from('{"a":2}'), headers).ok).toBe(false);
  });

  it('does not modify the body it signs', () => {
    const body = Buffer.from('{"x":"y"}');
    const copy = Buffer.from(body);
    createNotificationSigner(SECRET)(body);
    expect(body.equals(copy)).toBe(true);
  });

  it('refuses an empty secret', () => {
    expect(() => createNotificationSigner('')).toThrow(/notificationSecret/);
  });
});
