import { afterEach, describe, expect, it } from 'vitest';
import {
  createNotificationHandler,
  signNotification,
  type NotificationHandlerOptions,
  type NotificationPayload,
} from '@governance/client';
import {
  expressWithJsonParser,
  expressWithRawParser,
  koaWithBodyParser,
  koaWithPlaceholderParser,
  transports,
  type Mounted,
} from './transports.js';

const payload = (overrides: Record<string, unknown> = {}) => ({
  service_name: 'eir',
  event_type: 'register',
  timestamp: '2026-11-23T05:00:00Z',
  pods: [{ pod_name: 'eir-1', status: 'healthy', providers: [{ protocol: 'http', ip: '10.0.0.3', port: 8080 }] }],
  ...overrides,
});

const ME = { serviceName: 'http-gw', podName: 'http-gw-1' };
const sign = (secret: string, body: string) => signNotification(secret, body, { revision: 1, subscriber: ME });

let mounted: Mounted | undefined;
afterEach(async () => {
  await mounted?.close();
  mounted = undefined;
});

async function post(url: string, body: string | object, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.each(Object.keys(transports))('notification handler under %s', (name) => {
  async function mount(options: NotificationHandlerOptions = {}, callback?: (p: NotificationPayload) => unknown) {
    const received: NotificationPayload[] = [];
    const errors: unknown[] = [];
    const handler = createNotificationHandler(
      (p) => {
        received.push(p);
        return callback?.(p) as void;
      },
      { onError: (e) => errors.push(e), ...options },
    );
    mounted = await transports[name]!(handler);
    return { url: mounted.url, received, errors };
  }

  it('accepts a valid payload, answers 200 and calls back with a clean copy', async () => {
    const { url, received } = await mount();
    const body = JSON.stringify(payload({ revision: 3, extra: 'ignored' })).replace(/^\{/, '{"__proto__":{"polluted":true},');
    const result = await post(url, body);
    expect(result).toEqual({ status: 200, body: { status: 'ok' } });
    expect(received).toEqual([{ ...payload(), revision: 3 }]);
    expect(Object.keys(received[0]!)).toEqual(['service_name', 'event_type', 'timestamp', 'pods', 'revision']);
    expect((received[0] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['malformed JSON', '{"service_name": "eir",', /not valid JSON/],
    ['an empty body', '', /not valid JSON: the body is empty/],
    ['a JSON array', '[1,2]', /must be a JSON object/],
    ['a JSON string', '"hello"', /must be a JSON object/],
  ])('rejects %s with 400', async (_label, body, message) => {
    const { url, received } = await mount();
    const result = await post(url, body);
    expect(result.status).toBe(400);
    expect(result.body.error).toMatch(/^\[client\] /);
    expect(result.body.error).toMatch(message);
    expect(received).toHaveLength(0);
  });

  it('rejects wrong types with 400 naming every bad field', async () => {
    const { url, received } = await mount();
    const result = await post(url, {
      service_name: 7,
      event_type: 'deleted',
      timestamp: 1,
      revision: 'x',
      pods: [{ pod_name: 'a', status: 'dead', providers: [{ protocol: 'http', ip: '1.2.3.4', port: 70000 }] }, 'pod'],
    });
    expect(result.status).toBe(400);
    const paths = (result.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual([
      'service_name', 'event_type', 'timestamp', 'revision', 'pods.0.status', 'pods.0.providers.0.port', 'pods.1',
    ]);
    expect(result.body.error).toContain('pods.0.providers.0.port must be an integer from 0 to 65535');
    expect(received).toHaveLength(0);
  });

  it('rejects a body over maxBodyBytes, with and without Content-Length', async () => {
    const { url, received } = await mount({ maxBodyBytes: 1024 });
    const big = JSON.stringify(payload({ padding: 'x'.repeat(4096) }));
    expect((await post(url, big)).status).toBe(413);
    const chunked = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: string }).error).toMatch(/larger than 1024 bytes/);
    expect(received).toHaveLength(0);
    expect((await post(url, payload())).status).toBe(200);
  });

  it('answers 405 to other methods', async () => {
    const { url } = await mount();
    const response = await fetch(url);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('ignores revisions not newer than one already seen for the service', async () => {
    const { url, received } = await mount();
    expect((await post(url, payload({ revision: 5 }))).body).toEqual({ status: 'ok' });
    const stale = await post(url, payload({ revision: 4 }));
    expect(stale.status).toBe(200);
    expect(stale.body.status).toBe('ignored');
    expect((await post(url, payload({ revision: 5 }))).body.status).toBe('ignored');
    expect((await post(url, payload({ service_name: 'diam-gw', revision: 1 }))).body.status).toBe('ok');
    expect((await post(url, payload({ revision: 6, event_type: 'update' }))).body.status).toBe('ok');
    expect((await post(url, payload({ event_type: 'reconcile' }))).body.status).toBe('ok');
    expect(received.map((p) => `${p.service_name}@${p.revision}`)).toEqual([
      'eir@5', 'diam-gw@1', 'eir@6', 'eir@undefined',
    ]);
  });

  it('takes the revision from the x-governance-revision header when the body has none (the Go profile)', async () => {
    const { url, received } = await mount();
    const rev = (n: number | string) => ({ 'x-governance-revision': String(n) });
    expect((await post(url, payload(), rev(7))).body).toEqual({ status: 'ok' });
    expect((await post(url, payload(), rev(6))).body.status).toBe('ignored');
    expect((await post(url, payload({ revision: 8 }), rev(8))).body.status).toBe('ok');
    const disagreeing = await post(url, payload({ revision: 9 }), rev(10));
    expect(disagreeing.status).toBe(400);
    expect(disagreeing.body.error).toMatch(/x-governance-revision header \(10\) disagrees with the body's revision \(9\)/);
    for (const bad of ['1e3', '-1', '', '12345678901234567']) {
      expect((await post(url, payload(), rev(bad))).status, bad).toBe(400);
    }
    expect(received.map((p) => p.revision)).toEqual([7, 8]);
  });

  it('survives a rejecting callback and answers 500 to a throwing one, accepting the redelivery', async () => {
    let mode: 'reject' | 'throw' | 'ok' = 'reject';
    const { url, received, errors } = await mount({}, () => {
      if (mode === 'reject') return Promise.reject(new Error('async boom'));
      if (mode === 'throw') throw new Error('sync boom');
      return undefined;
    });
    expect((await post(url, payload({ revision: 1 }))).status).toBe(200);
    mode = 'throw';
    const failed = await post(url, payload({ revision: 2 }));
    expect(failed.status).toBe(500);
    mode = 'ok';
    expect((await post(url, payload({ revision: 2 }))).body).toEqual({ status: 'ok' });
    expect(received.map((p) => p.revision)).toEqual([1, 2, 2]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['async boom', 'sync boom']);
  });
});

describe('notification handler behind body parsers', () => {
  it('uses the body Express already parsed', async () => {
    const received: NotificationPayload[] = [];
    mounted = await expressWithJsonParser(createNotificationHandler((p) => void received.push(p)));
    expect((await post(mounted.url, payload({ revision: 2 }))).status).toBe(200);
    expect((await post(mounted.url, payload({ revision: 1 }))).body.status).toBe('ignored');
    expect((await post(mounted.url, { service_name: 'eir' })).status).toBe(400);
    expect(received).toEqual([{ ...payload(), revision: 2 }]);
  });

  it('uses the body a Koa body parser already read', async () => {
    const received: NotificationPayload[] = [];
    mounted = await koaWithBodyParser(createNotificationHandler((p) => void received.push(p), { secret: 'k', subscriber: ME }));
    const body = JSON.stringify(payload());
    expect((await post(mounted.url, body, { ...sign('k', body) })).status).toBe(200);
    expect((await post(mounted.url, body)).status).toBe(401);
    expect(received).toHaveLength(1);
  });

  it('reads the request itself when a parser left only an empty placeholder', async () => {
    const received: NotificationPayload[] = [];
    mounted = await koaWithPlaceholderParser(createNotificationHandler((p) => void received.push(p)));
    expect((await post(mounted.url, payload())).status).toBe(200);
    expect(received).toEqual([payload()]);
  });

  it('refuses invalid options', () => {
    expect(() => createNotificationHandler(undefined as never)).toThrow(/onNotification/);
    expect(() => createNotificationHandler(() => undefined, { maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
    expect(() => createNotificationHandler(() => undefined, { secret: '' })).toThrow(/secret/);
    expect(() => createNotificationHandler(() => undefined, { secret: 'k' })).toThrow(/option subscriber .* is required with secret/);
    expect(() => createNotificationHandler(() => undefined, { secret: 'k', subscriber: { serviceName: 'eir', podName: '' } })).toThrow(/subscriber/);
    expect(() => createNotificationHandler(() => undefined, { initialRevisions: { eir: -1 } })).toThrow(/initialRevisions/);
  });

  it('needs the raw body for signatures: says so behind express.json(), works behind express.raw()', async () => {
    const body = JSON.stringify(payload());
    mounted = await expressWithJsonParser(createNotificationHandler(() => undefined, { secret: 'k', subscriber: ME }));
    const misconfigured = await post(mounted.url, body, { ...sign('k', body) });
    expect(misconfigured.status).toBe(500);
    expect(misconfigured.body.error).toMatch(/raw body/);
    await mounted.close();
    mounted = await expressWithRawParser(createNotificationHandler(() => undefined, { secret: 'k', subscriber: ME }));
    expect((await post(mounted.url, body, { ...sign('k', body) })).status).toBe(200);
  });
});

describe('replays after a receiver restart', () => {
  it('are accepted once within maxSkewMs by a fresh handler, and ignored when it starts from the persisted revisions', async () => {
    const body = JSON.stringify(payload({ revision: 5 }));
    const captured = signNotification('k', body, { revision: 5, subscriber: ME });
    const options = { secret: 'k', subscriber: ME };

    const beforeRestart: NotificationPayload[] = [];
    mounted = await transports['node:http']!(createNotificationHandler((p) => void beforeRestart.push(p), options));
    expect((await post(mounted.url, body, { ...captured })).body).toEqual({ status: 'ok' });
    expect((await post(mounted.url, body, { ...captured })).body.status).toBe('ignored');
    await mounted.close();

    const forgetful: NotificationPayload[] = [];
    mounted = await transports['node:http']!(createNotificationHandler((p) => void forgetful.push(p), options));
    expect((await post(mounted.url, body, { ...captured })).body).toEqual({ status: 'ok' });
    await mounted.close();

    const persisted = new Map([[beforeRestart[0]!.service_name, beforeRestart[0]!.revision!]]);
    const restarted: NotificationPayload[] = [];
    mounted = await transports['node:http']!(createNotificationHandler((p) => void restarted.push(p), { ...options, initialRevisions: persisted }));
    expect((await post(mounted.url, body, { ...captured })).body.status).toBe('ignored');
    expect(restarted).toEqual([]);
  });
});
