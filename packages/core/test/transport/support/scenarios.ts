import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Manager, type NotificationPayload, type RegistryStore } from '@governance/core';
import type { GovernanceAdapterOptions } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { postJson, send } from './http-client';
import { DIAM_GW_BODY, EIR_BODY, HTTP_GW_BODY, UNREGISTER_HTTP_GW } from '../../../../../test/fixtures/go-telco.mjs';

/** A running server with the Governance API mounted; `baseUrl` ends at the mount point. */
export interface MountedServer {
  baseUrl: string;
  server: http.Server;
  close(): Promise<void>;
}

/** Mounts the API of `manager` on a fresh server listening on 127.0.0.1:0. */
export type MountGovernance = (manager: Manager, options: GovernanceAdapterOptions) => Promise<MountedServer>;

/** Manager settings that keep tests quick: nothing periodic fires during a test. */
export const TEST_CONFIG = {
  healthCheckInterval: 60_000,
  healthCheckTimeout: 300,
  healthCheckRetry: 0,
  notificationInterval: 60_000,
  notificationTimeout: 300,
  notificationRetries: 0,
  stopTimeout: 500,
} as const;

/** Listens on 127.0.0.1:0 and returns the base URL plus a close that also ends keep-alive sockets. */
export async function listen(server: http.Server, mountPath: string): Promise<MountedServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${mountPath}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A valid registration in wire form; `overrides` replace top-level fields. */
export function wireRegistration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service_name: 'svc',
    pod_name: 'svc-pod-1',
    providers: [{ protocol: 'http', ip: '127.0.0.1', port: 9000 }],
    health_check_url: 'http://127.0.0.1:9/health',
    notification_url: 'http://127.0.0.1:9/notify',
    subscriptions: [],
    ...overrides,
  };
}

/** A MemoryStore whose writes wait until `release()` is called. */
export class GatedStore extends MemoryStore {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  override async saveService(...args: Parameters<MemoryStore['saveService']>): Promise<void> {
    await this.#gate;
    return super.saveService(...args);
  }

  override async applyBatch(...args: Parameters<MemoryStore['applyBatch']>) {
    await this.#gate;
    return super.applyBatch(...args);
  }
}

/**
 * The HTTP scenario suite every adapter runs: the same requests, the same answers, against a
 * real server on 127.0.0.1 with a real Manager on a MemoryStore.
 */
export function httpScenarios(label: string, mount: MountGovernance): void {
  describe(`${label}: HTTP API scenarios`, () => {
    let store: RegistryStore;
    let manager: Manager;
    let server: MountedServer;
    const extra: Array<() => Promise<void>> = [];

    async function start(options: GovernanceAdapterOptions = {}, config: Record<string, unknown> = {}, own?: RegistryStore) {
      store = own ?? new MemoryStore();
      manager = new Manager({ ...TEST_CONFIG, ...config }, store);
      await manager.start();
      server = await mount(manager, options);
    }

    /** `GET /services` without the health fields, which the health checker may change meanwhile. */
    async function snapshot(): Promise<{ count: number; services: unknown[] }> {
      const { count, services } = (await send(server.baseUrl, 'GET', '/services')).json;
      const registrations = services.map(({ status: _s, last_health_check: _l, ...rest }: Record<string, unknown>) => rest);
      return { count, services: registrations };
    }

    beforeEach(() => {
      extra.length = 0;
    });

    afterEach(async () => {
      await server?.close();
      await manager?.stop({ timeoutMs: 500 });
      for (const cleanup of extra) await cleanup();
    });

    it('accepts the seed-002 curl bodies unchanged and lists, finds and unregisters them', async () => {
      await start();
      for (const body of [HTTP_GW_BODY, DIAM_GW_BODY, EIR_BODY]) {
        const answer = await postJson(server.baseUrl, '/register', body);
        expect(answer.status).toBe(201);
        expect(answer.headers['x-governance-outcome']).toBe('created');
        const sent = JSON.parse(body);
        expect(answer.json).toMatchObject(sent);
        expect(Object.keys(answer.json).sort()).toEqual(
          [...Object.keys(sent), 'status', 'last_health_check', 'registered_at', 'updated_at'].sort(),
        );
      }
      const again = await postJson(server.baseUrl, '/register', EIR_BODY);
      expect(again.status).toBe(200);
      expect(again.headers['x-governance-outcome']).toBe('unchanged');
      const moved = await postJson(server.baseUrl, '/register', HTTP_GW_BODY.replace('/notify', '/notify-v2'));
      expect([moved.status, moved.headers['x-governance-outcome'], moved.json.notification_url]).toEqual([200, 'updated', expect.stringMatching(/\/notify-v2$/)]);

      const list = await send(server.baseUrl, 'GET', '/services');
      expect(list.status).toBe(200);
      expect(list.headers['content-type']).toMatch(/^application\/json/);
      expect(list.json.count).toBe(3);
      expect(list.json.services.map((s: { pod_name: string }) => s.pod_name).sort()).toEqual([
        'diam-gw-pod-1',
        'eir-pod-1',
        'http-gw-pod-1',
      ]);

      const eir = await send(server.baseUrl, 'GET', '/services/eir');
      expect(eir.status).toBe(200);
      expect(eir.json).toMatchObject({ service_name: 'eir', count: 1, pods: [JSON.parse(EIR_BODY)] });
      const none = await send(server.baseUrl, 'GET', '/services/nobody');
      expect(none.json).toEqual({ service_name: 'nobody', count: 0, pods: [] });

      const gone = await send(server.baseUrl, 'DELETE', UNREGISTER_HTTP_GW);
      expect(gone.status).toBe(200);
      expect(gone.json).toEqual({ status: 'unregistered', service_name: 'http-gw', pod_name: 'http-gw-pod-1' });
      const twice = await send(server.baseUrl, 'DELETE', UNREGISTER_HTTP_GW);
      expect(twice.status).toBe(404);
      expect(twice.json.error).toMatch(/^\[core\] pod http-gw:http-gw-pod-1 is not registered/);
      expect((await send(server.baseUrl, 'GET', '/services')).json.count).toBe(2);

      const health = await send(server.baseUrl, 'GET', '/health');
      expect(health.status).toBe(200);
      expect(health.json).toEqual({ status: 'healthy' });
    });

    it('delivers the Go notification shape to a subscriber registered over HTTP', async () => {
      await start();
      const received: NotificationPayload[] = [];
      const receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.url === '/notify') received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          res.end('ok');
        });
      });
      const pod = await listen(receiver, '');
      extra.push(() => pod.close());

      const subscriber = JSON.parse(HTTP_GW_BODY);
      subscriber.pod_name = 'http-gw-pod-2';
      subscriber.health_check_url = `${pod.baseUrl}/health`;
      subscriber.notification_url = `${pod.baseUrl}/notify`;
      expect((await postJson(server.baseUrl, '/register', JSON.stringify(subscriber))).status).toBe(201);
      expect((await postJson(server.baseUrl, '/register', EIR_BODY)).status).toBe(201);

      await vi.waitFor(
        () => {
          expect(received.some((n) => n.service_name === 'eir' && n.pods.length === 1)).toBe(true);
        },
        { timeout: 5_000, interval: 20 },
      );
      const note = received.find((n) => n.service_name === 'eir' && n.pods.length === 1)!;
      expect(['register', 'reconcile', 'update']).toContain(note.event_type);
      expect(note.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
      expect(note.pods[0]).toEqual({
        pod_name: 'eir-pod-1',
        status: expect.stringMatching(/^(healthy|unhealthy|unknown)$/),
        providers: JSON.parse(EIR_BODY).providers,
      });
      expect(Object.keys(note).filter((k) => k !== 'revision').sort()).toEqual(['event_type', 'pods', 'service_name', 'timestamp']);
    });

    it('answers hostile input with a clear 4xx and leaves the registry unchanged', async () => {
      await start();
      expect((await postJson(server.baseUrl, '/register', EIR_BODY)).status).toBe(201);
      const before = await snapshot();
      const valid = wireRegistration();
      const provider = { protocol: 'http', ip: '10.0.0.1', port: 80 };

      const cases: Array<{ name: string; body: string | Buffer; type?: string; status: number; match: RegExp; path?: string }> = [
        { name: 'malformed JSON', body: '{"service_name": "svc", ', status: 400, match: /not valid JSON/ },
        { name: 'a JSON array', body: '[1,2,3]', status: 400, match: /JSON object/ },
        { name: 'wrong types', body: JSON.stringify(wireRegistration({ service_name: 42, providers: 'many' })), status: 400, match: /service_name/, path: 'providers' },
        { name: 'a string port', body: JSON.stringify(wireRegistration({ providers: [{ ...provider, port: '80' }] })), status: 400, match: /port/, path: 'providers[0].port' },
        { name: 'a 10 MB body', body: Buffer.alloc(10 * 1024 * 1024, 0x20), status: 413, match: /larger than 65536 bytes/ },
        { name: '100,000 providers', body: JSON.stringify(wireRegistration({ providers: Array.from({ length: 100_000 }, () => provider) })), status: 413, match: /larger than/ },
        { name: "':' in the service name", body: JSON.stringify(wireRegistration({ service_name: 'a:b' })), status: 400, match: /':'/, path: 'service_name' },
        { name: "':' in the pod name", body: JSON.stringify(wireRegistration({ pod_name: 'pod:1' })), status: 400, match: /':'/, path: 'pod_name' },
        { name: 'a file: health URL', body: JSON.stringify(wireRegistration({ health_check_url: 'file:///etc/passwd' })), status: 400, match: /file:/, path: 'health_check_url' },
        { name: 'a javascript: notification URL', body: JSON.stringify(wireRegistration({ notification_url: 'javascript:alert(1)' })), status: 400, match: /javascript:/, path: 'notification_url' },
        { name: 'port 0', body: JSON.stringify(wireRegistration({ providers: [{ ...provider, port: 0 }] })), status: 400, match: /1\.\.65535/, path: 'providers[0].port' },
        { name: 'port 70000', body: JSON.stringify(wireRegistration({ providers: [{ ...provider, port: 70_000 }] })), status: 400, match: /1\.\.65535/, path: 'providers[0].port' },
        { name: 'an empty body', body: '', status: 400, match: /body is empty/ },
        { name: 'a whitespace body', body: '  \n ', status: 400, match: /body is empty/ },
        { name: 'text/plain', body: JSON.stringify(valid), type: 'text/plain', status: 415, match: /application\/json/ },
        { name: 'form encoding', body: 'service_name=svc', type: 'application/x-www-form-urlencoded', status: 415, match: /application\/json/ },
        { name: 'a latin1 charset', body: JSON.stringify(valid), type: 'application/json; charset=latin1', status: 415, match: /UTF-8/ },
        { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), status: 400, match: /UTF-8/ },
        { name: 'a top-level __proto__ key', body: `{"__proto__": {"polluted": true}, ${JSON.stringify(valid).slice(1)}`, status: 400, match: /__proto__/, path: '__proto__' },
        { name: 'a nested __proto__ key', body: JSON.stringify(wireRegistration({ providers: [JSON.parse(`{"__proto__": {"port": 1}, "protocol": "http", "ip": "10.0.0.1", "port": 80}`)] })), status: 400, match: /__proto__/, path: 'providers[0].__proto__' },
        { name: 'a __proto__ key spelled with \\u escapes', body: `{"\\u005f\\u005fpr\\u006fto__": {"polluted": true}, ${JSON.stringify(valid).slice(1)}`, status: 400, match: /__proto__/, path: '__proto__' },
        { name: 'a constructor.prototype key', body: JSON.stringify(wireRegistration({ constructor: { prototype: { polluted: true } } })), status: 400, match: /constructor/, path: 'constructor' },
      ];

      for (const c of cases) {
        const answer = await postJson(server.baseUrl, '/register', c.body, c.type ? { 'content-type': c.type } : {});
        expect(answer.status, c.name).toBe(c.status);
        expect(answer.json?.error, c.name).toMatch(/^\[core\] /);
        expect(answer.json.error, c.name).toMatch(c.match);
        if (c.path) {
          expect(answer.json.errors.map((e: { path: string }) => e.path), c.name).toContain(c.path);
        }
      }
      const streamed = await send(server.baseUrl, 'POST', '/register', {
        body: Buffer.alloc(10 * 1024 * 1024, 0x20),
        chunked: true,
        headers: { 'content-type': 'application/json' },
      });
      expect(streamed.status).toBe(413);
      expect(streamed.json.error).toMatch(/larger than 65536 bytes/);
      const noType = await send(server.baseUrl, 'POST', '/register', { body: JSON.stringify(valid) });
      expect(noType.status).toBe(415);
      expect(noType.json.error).toMatch(/missing Content-Type/);

      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await snapshot()).toEqual(before);
    });

    it('lists every field error of an invalid registration with snake_case paths', async () => {
      await start();
      const answer = await postJson(
        server.baseUrl,
        '/register',
        JSON.stringify({ service_name: '', providers: [{ protocol: 'smtp', ip: '', port: -1 }], notification_url: 'ftp://x' }),
      );
      expect(answer.status).toBe(400);
      const paths = answer.json.errors.map((e: { path: string }) => e.path);
      expect(paths).toEqual(
        expect.arrayContaining(['service_name', 'pod_name', 'providers[0].protocol', 'providers[0].ip', 'providers[0].port', 'health_check_url', 'notification_url']),
      );
      for (const e of answer.json.errors) expect(e.message).toEqual(expect.any(String));
    });

    it('rejects 100,000 providers by count when the body limit allows the bytes', async () => {
      await start({ bodyLimit: 8 * 1024 * 1024 });
      const providers = Array.from({ length: 100_000 }, () => ({ protocol: 'udp', ip: '10.0.0.1', port: 5000 }));
      const answer = await postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration({ providers })));
      expect(answer.status).toBe(400);
      expect(answer.json.errors[0]).toMatchObject({ path: 'providers', message: expect.stringMatching(/got 100000/) });
      expect((await snapshot()).count).toBe(0);
    });

    it('ignores unknown fields, as the Go manager does', async () => {
      await start();
      const body = { ...wireRegistration(), weight: 7, labels: { zone: 'a' }, providers: [{ protocol: 'tcp', ip: '10.0.0.2', port: 3868, tls: true }] };
      const answer = await postJson(server.baseUrl, '/register', JSON.stringify(body));
      expect(answer.status).toBe(201);
      expect(answer.json).not.toHaveProperty('weight');
      expect(answer.json).not.toHaveProperty('labels');
      expect(answer.json.providers).toEqual([{ protocol: 'tcp', ip: '10.0.0.2', port: 3868 }]);
    });

    it('answers 400 naming the parameter for a bad unregister or service lookup', async () => {
      await start();
      const missing = await send(server.baseUrl, 'DELETE', '/unregister');
      expect(missing.status).toBe(400);
      expect(missing.json.errors).toEqual([
        { path: 'service_name', message: 'is required' },
        { path: 'pod_name', message: 'is required' },
      ]);
      const colon = await send(server.baseUrl, 'DELETE', '/unregister?service_name=a:b&pod_name=p');
      expect(colon.status).toBe(400);
      expect(colon.json.errors[0].path).toBe('service_name');
      const twice = await send(server.baseUrl, 'DELETE', '/unregister?service_name=a&service_name=b&pod_name=p');
      expect(twice.status).toBe(400);
      const badPath = await send(server.baseUrl, 'GET', '/services/%E0%A4%A');
      expect(badPath.status).toBe(400);
      expect(badPath.json.error).toMatch(/^\[core\] invalid path parameters: service_name/);
    });

    it("answers 404 for unknown routes with unknownRoutes: 'respond', and 405 with Allow for wrong methods", async () => {
      await start({ unknownRoutes: 'respond' });
      const unknown = await send(server.baseUrl, 'GET', '/nope');
      expect(unknown.status).toBe(404);
      expect(unknown.json.error).toMatch(/^\[core\] no route GET \/nope/);
      expect((await send(server.baseUrl, 'GET', '/services/a/b')).status).toBe(404);

      const cases: Array<[string, string, string]> = [
        ['GET', '/register', 'POST'],
        ['PUT', '/register', 'POST'],
        ['GET', '/unregister?service_name=a&pod_name=b', 'DELETE'],
        ['POST', '/services', 'GET, HEAD'],
        ['DELETE', '/services/eir', 'GET, HEAD'],
        ['POST', '/health', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const answer = await send(server.baseUrl, method, path);
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.headers.allow, `${method} ${path}`).toBe(allow);
        expect(answer.json.error).toMatch(/^\[core\] /);
      }
    });

    it('runs the authorize hook before the body is read or parsed', async () => {
      const seen: Array<{ method: string; path: string; pod: string | null }> = [];
      await start({
        authorize: (request) => {
          seen.push({ method: request.method, path: request.path, pod: request.query.get('pod_name') });
          const auth = request.headers.authorization;
          if (auth === undefined) return { status: 401, message: 'token required', headers: { 'www-authenticate': 'Bearer' } };
          if (auth !== 'Bearer good') return { status: 403, message: 'token not allowed' };
          return undefined;
        },
      });
      const anonymous = await postJson(server.baseUrl, '/register', '{"broken": ');
      expect(anonymous.status).toBe(401);
      expect(anonymous.json).toEqual({ error: 'token required' });
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      const huge = await postJson(server.baseUrl, '/register', Buffer.alloc(1024 * 1024, 0x20), { authorization: 'Bearer bad' });
      expect(huge.status).toBe(403);
      expect(huge.headers.connection).toBe('close');
      const wrongType = await send(server.baseUrl, 'POST', '/register', { body: 'x', headers: { 'content-type': 'text/plain' } });
      expect(wrongType.status).toBe(401);
      const del = await send(server.baseUrl, 'DELETE', '/unregister?service_name=a&pod_name=b');
      expect(del.status).toBe(401);
      expect(seen.at(-1)).toEqual({ method: 'DELETE', path: '/unregister', pod: 'b' });

      const allowed = await postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration()), { authorization: 'Bearer good' });
      expect(allowed.status).toBe(201);
      expect(((await send(server.baseUrl, 'GET', '/services', { headers: { authorization: 'Bearer good' } })).json as { count: number }).count).toBe(1);
    });

    it('answers 503 with Retry-After while the lane is full', async () => {
      const gated = new GatedStore();
      await start({}, { eventQueueSize: 2 }, gated);
      gated.hold();
      const pending = Array.from({ length: 8 }, (_, i) =>
        postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration({ pod_name: `pod-${i}` }))),
      );
      await vi.waitFor(() => expect(manager.stats().queueDepth).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 10 });
      const full = await postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration({ pod_name: 'one-more' })));
      expect(full.status).toBe(503);
      expect(full.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(full.json.error).toMatch(/^\[core\] the event queue is full/);
      gated.release();
      const answers = await Promise.all(pending);
      for (const a of answers) expect([201, 503]).toContain(a.status);
      const accepted = answers.filter((a) => a.status === 201).length;
      expect((await snapshot()).count).toBe(accepted);
    });

    it('answers 503 with Retry-After from /health and /register when the store is closed', async () => {
      await start();
      expect((await postJson(server.baseUrl, '/register', EIR_BODY)).status).toBe(201);
      await store.close();
      const health = await send(server.baseUrl, 'GET', '/health');
      expect(health.status).toBe(503);
      expect(health.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(health.json).toEqual({ status: 'unhealthy', error: expect.stringMatching(/store-memory/) });
      const register = await postJson(server.baseUrl, '/register', DIAM_GW_BODY);
      expect(register.status).toBe(503);
      expect(register.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(register.json.error).toMatch(/^\[store-memory\] /);
      const list = await send(server.baseUrl, 'GET', '/services');
      expect(list.status).toBe(200);
      expect(list.json.count).toBe(1);
    });

    it('answers 503 with Retry-After once the manager is stopped', async () => {
      await start();
      await manager.stop();
      const register = await postJson(server.baseUrl, '/register', EIR_BODY);
      expect(register.status).toBe(503);
      expect(register.headers['retry-after']).toBe('1');
      expect(register.json.error).toMatch(/^\[core\] the manager (is stopped|is not running)/);
    });
  });
}
