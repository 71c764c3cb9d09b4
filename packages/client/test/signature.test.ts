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
const NOW = 1_700_000_000_000;
const HTTP_GW = { serviceName: 'http-gw', podName: 'http-gw-1' };
const DIAM_GW = { serviceName: 'diam-gw', podName: 'diam-gw-1' };
const signed = (secret: string, timestampMs: number, overrides: { revision?: number; subscriber?: typeof HTTP_GW; text?: string } = {}) =>
  signNotification(secret, overrides.text ?? body, { revision: overrides.revision ?? 9, subscriber: overrides.subscriber ?? HTTP_GW, timestampMs });

describe('signNotification / verifyNotificationSignature (scheme v1)', () => {
  it('signs HMAC-SHA256 over "v1\\n<timestamp>\\n<revision>\\n<target>\\n" + the raw body, as v1=<hex>', () => {
    const headers = signed('secret', 1_700_000_000_123);
    const expected = createHmac('sha256', 'secret').update(`v1\n1700000000123\n9\nhttp-gw:http-gw-1\n${body}`).digest('hex');
    expect(headers).toEqual({
      'x-governance-timestamp': '1700000000123',
      'x-governance-revision': '9',
      'x-governance-target': 'http-gw:http-gw-1',
      'x-governance-signature': `v1=${expected}`,
    });
  });

  it('accepts a good signature, any secret of a rotation list, and ignores schemes it does not know', () => {
    const now = 1_700_000_000_000;
    const headers = signed('new', now);
    const options = { subscriber: HTTP_GW, now };
    expect(verifyNotificationSignature('new', body, { ...headers }, options)).toEqual({ ok: true });
    expect(verifyNotificationSignature(['old', 'new'], Buffer.from(body), { ...headers }, options)).toEqual({ ok: true });
    const withFuture = { ...headers, 'x-governance-signature': `v2=${'0'.repeat(64)}, ${headers['x-governance-signature']}` };
    expect(verifyNotificationSignature('new', body, withFuture, options)).toEqual({ ok: true });
  });

  it.each([
    ['a different secret', () => signed('other', NOW), /does not match/],
    ['a changed body', () => signed('secret', NOW, { text: `${body} ` }), /does not match/],
    ['a changed timestamp', () => ({ ...signed('secret', NOW), 'x-governance-timestamp': String(NOW + 1) }), /does not match/],
    ['a changed revision', () => ({ ...signed('secret', NOW), 'x-governance-revision': '10' }), /does not match/],
    ['a delivery addressed to another pod (replay)', () => signed('secret', NOW, { subscriber: DIAM_GW }), /addressed to "diam-gw:diam-gw-1", not to this receiver \("http-gw:http-gw-1"\)/],
    ['another pod\'s delivery without its target header', () => {
      const { 'x-governance-target': _, ...rest } = signed('secret', NOW, { subscriber: DIAM_GW });
      return rest;
    }, /does not match/],
    ['no revision header', () => {
      const { 'x-governance-revision': _, ...rest } = signed('secret', NOW);
      return rest;
    }, /missing x-governance-revision/],
    ['no headers', () => ({}), /missing/],
    ['the old unbound scheme', () => ({ ...signed('secret', NOW), 'x-governance-signature': `sha256=${'a'.repeat(64)}` }), /no v1=<64 hex digits> entry .*upgrade it/],
    ['a malformed timestamp', () => ({ ...signed('secret', NOW), 'x-governance-timestamp': '1e3' }), /Unix milliseconds/],
    ['an old timestamp', () => signed('secret', NOW - 300_001), /replay/],
    ['a timestamp from the future', () => signed('secret', NOW + 300_001), /replay or clock skew/],
  ])('refuses %s', (_label, headers, reason) => {
    const verdict = verifyNotificationSignature('secret', body, headers() as Record<string, string>, { subscriber: HTTP_GW, now: NOW });
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
      subscriber: HTTP_GW,
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
    expect((await send({ ...signed('secret', Date.now()) })).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('refuses bad, missing, misaddressed and too old signatures with 401', async () => {
    const { send, received } = await mount(60_000);
    const bad = await send({ ...signed('wrong', Date.now()) });
    expect(bad).toEqual({ status: 401, error: '[client] notification refused: signature does not match the body, revision and receiver' });
    expect((await send({})).error).toMatch(/missing x-governance-timestamp/);
    expect((await send({ ...signed('secret', Date.now(), { subscriber: DIAM_GW }) })).status).toBe(401);
    const replay = await send({ ...signed('secret', Date.now() - 120_000) });
    expect(replay.status).toBe(401);
    expect(replay.error).toMatch(/replay/);
    expect(received).toHaveLength(0);
  });
});
