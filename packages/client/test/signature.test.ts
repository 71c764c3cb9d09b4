import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNotificationHandler,
  signNotification,
  verifyNotificationSignature,
  type NotificationPayload,
} from '@governance/client';
import { transports, type Mounted } from './transports.js';

const body = JSON.stringify({
  service_name: 'eir',
  event_type: 'update',
  timestamp: '2026-11-23T05:00:00Z',
  pods: [{ pod_name: 'eir-1', status: 'unhealthy', providers: [] }],
  revision: 9,
});

describe('signNotification / verifyNotificationSignature', () => {
  it('signs HMAC-SHA256 over `${timestamp}.${rawBody}` as sha256=<hex>', () => {
    const headers = signNotification('secret', body, 1_700_000_000_123);
    const expected = createHmac('sha256', 'secret').update(`1700000000123.${body}`).digest('hex');
    expect(headers).toEqual({ 'x-governance-timestamp': '1700000000123', 'x-governance-signature': `sha256=${expected}` });
  });

  it('accepts a good signature and any secret of a rotation list', () => {
    const now = 1_700_000_000_000;
    const headers = signNotification('new', body, now);
    expect(verifyNotificationSignature('new', body, { ...headers }, { now })).toEqual({ ok: true });
    expect(verifyNotificationSignature(['old', 'new'], Buffer.from(body), { ...headers }, { now })).toEqual({ ok: true });
  });

  it.each([
    ['a different secret', () => signNotification('other', body, 1000), 1000, /does not match/],
    ['a changed body', () => signNotification('secret', `${body} `, 1000), 1000, /does not match/],
    ['a changed timestamp', () => ({ ...signNotification('secret', body, 1000), 'x-governance-timestamp': '1001' }), 1000, /does not match/],
    ['no headers', () => ({}), 1000, /missing/],
    ['a malformed signature', () => ({ ...signNotification('secret', body, 1000), 'x-governance-signature': 'sha1=abc' }), 1000, /sha256=/],
    ['a malformed timestamp', () => ({ ...signNotification('secret', body, 1000), 'x-governance-timestamp': '1e3' }), 1000, /Unix milliseconds/],
    ['an old timestamp (replay)', () => signNotification('secret', body, 1000), 1000 + 300_001, /replay/],
    ['a timestamp from the future', () => signNotification('secret', body, 400_000), 1000, /replay or clock skew/],
  ])('refuses %s', (_label, headers, now, reason) => {
    const verdict = verifyNotificationSignature('secret', body, headers() as Record<string, string>, { now });
    expect(verdict.ok).toBe(false);
    expect((verdict as { reason: string }).reason).toMatch(reason);
  });
});

let mounted: Mounted | undefined;
afterEach(async () => {
  await mounted?.close();
  mounted = undefined;
});

describe.each(Object.keys(transports))('signed notifications under %s', (name) => {
  async function mount(maxSkewMs?: number) {
    const received: NotificationPayload[] = [];
    const handler = createNotificationHandler((p) => void received.push(p), {
      secret: 'secret',
      ...(maxSkewMs === undefined ? {} : { maxSkewMs }),
    });
    mounted = await transports[name]!(handler);
    const send = async (headers: Record<string, string>) => {
      const response = await fetch(mounted!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      return { status: response.status, error: ((await response.json()) as { error?: string }).error };
    };
    return { send, received };
  }

  it('accepts a valid signature', async () => {
    const { send, received } = await mount();
    expect((await send({ ...signNotification('secret', body) })).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('refuses bad, missing and too old signatures with 401', async () => {
    const { send, received } = await mount(60_000);
    const bad = await send({ ...signNotification('wrong', body) });
    expect(bad).toEqual({ status: 401, error: '[client] notification refused: signature does not match the body' });
    expect((await send({})).error).toMatch(/missing x-governance-timestamp/);
    const replay = await send({ ...signNotification('secret', body, Date.now() - 120_000) });
    expect(replay.status).toBe(401);
    expect(replay.error).toMatch(/replay/);
    expect(received).toHaveLength(0);
  });
});
