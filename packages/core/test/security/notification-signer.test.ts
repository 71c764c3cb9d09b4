import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signNotification, verifyNotificationSignature } from '@governance/client';
import { createNotificationSigner } from '../../src/security/notification-signer';

const SECRET = 'a-notification-secret-123';
const EIR = { serviceName: 'eir', podName: 'eir-1' };

describe('createNotificationSigner (scheme v1)', () => {
  it('signs HMAC-SHA256(secret, "v1\\n<timestamp>\\n<revision>\\n<target>\\n" + body) as v1=<hex>, naming the target', () => {
    const body = Buffer.from('{"service_name":"eir","event_type":"register"}');
    const headers = createNotificationSigner(SECRET)(body, { revision: 42, target: 'eir:eir-1' }, 1_700_000_000_123.9);
    const expected = createHmac('sha256', SECRET).update(`v1\n1700000000123\n42\neir:eir-1\n${body.toString()}`).digest('hex');
    expect(headers).toEqual({
      'x-governance-timestamp': '1700000000123',
      'x-governance-target': 'eir:eir-1',
      'x-governance-signature': `v1=${expected}`,
    });
  });

  it('produces what the client receiver accepts (with the revision header the notifier adds), and signs exactly like the client', () => {
    const body = Buffer.from('{"a":1}');
    const at = Date.now();
    const headers = { ...createNotificationSigner(SECRET)(body, { revision: 7, target: 'eir:eir-1' }, at), 'x-governance-revision': '7' };
    expect(verifyNotificationSignature(SECRET, body, headers, { subscriber: EIR })).toEqual({ ok: true });
    expect(headers).toEqual(signNotification(SECRET, body, { revision: 7, subscriber: EIR, timestampMs: at }));
    expect(verifyNotificationSignature('another-secret-456789', body, headers, { subscriber: EIR }).ok).toBe(false);
    expect(verifyNotificationSignature(SECRET, Buffer.from('{"a":2}'), headers, { subscriber: EIR }).ok).toBe(false);
    expect(verifyNotificationSignature(SECRET, body, { ...headers, 'x-governance-revision': '8' }, { subscriber: EIR }).ok).toBe(false);
    expect(verifyNotificationSignature(SECRET, body, headers, { subscriber: { serviceName: 'eir', podName: 'eir-2' } }).ok).toBe(false);
  });

  it('does not modify the body it signs', () => {
    const body = Buffer.from('{"x":"y"}');
    const copy = Buffer.from(body);
    createNotificationSigner(SECRET)(body, { revision: 1, target: 'a:b' });
    expect(body.equals(copy)).toBe(true);
  });

  it('refuses an empty secret', () => {
    expect(() => createNotificationSigner('')).toThrow(/notificationSecret/);
  });
});
