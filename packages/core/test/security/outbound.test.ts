import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager, ValidationError, type ManagerConfigInput, type NotificationFailure, type ProbeResult, type ServiceInfo } from '@governance/core';
import { createNotificationHandler } from '@governance/client';
import { MemoryStore } from '@governance/store-memory';
import { Fleet, waitFor } from '../manager/helpers';

const SECRET = 'notification-secret-0001';
const AMF = { serviceName: 'amf', podName: 'amf-1' };

const FAST: ManagerConfigInput = {
  healthCheckInterval: 60_000,
  healthCheckTimeout: 500,
  healthCheckRetry: 2,
  notificationInterval: 60_000,
  notificationTimeout: 1_000,
  notificationRetries: 2,
  stopTimeout: 500,
};

function pod(serviceName: string, podName: string, urls: { health: string; notify: string }, subscriptions: string[] = []): ServiceInfo {
  const at = new Date();
  return {
    serviceName,
    podName,
    providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
    healthCheckUrl: urls.health,
    notificationUrl: urls.notify,
    subscriptions,
    status: 'unknown',
    lastHealthCheck: at,
    registeredAt: at,
    updatedAt: at,
  };
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A subscriber: records every POST's headers and raw body, then hands it to `answer`. */
async function subscriber(answer: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ headers: req.headers, body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: `http://127.0.0.1:${port}/notify`,
    port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('signed notifications', () => {
  it('carry a timestamp and an HMAC the client receiver accepts', async () => {
    const fleet = await Fleet.start();
    cleanups.push(() => fleet.close());
    const payloads: unknown[] = [];
    const handler = createNotificationHandler((p) => void payloads.push(p), { secret: SECRET, subscriber: AMF });
    const sub = await subscriber((req, res, body) => {
      (req as http.IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      handler(req, res);
    });
    cleanups.push(sub.close);
    const manager = new Manager({ ...FAST, notificationSecret: SECRET }, new MemoryStore());
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));

    await manager.register({ ...pod('amf', 'amf-1', { health: fleet.healthUrl('amf-1'), notify: sub.url }, ['smf']) });
    await manager.register({ ...pod('smf', 'smf-1', { health: fleet.healthUrl('smf-1'), notify: fleet.notifyUrl('smf-1') }) });
    await waitFor(() => payloads.length > 0, 'an accepted notification');

    const first = sub.received[0]!;
    expect(first.headers['x-governance-timestamp']).toMatch(/^\d{13}$/);
    expect(first.headers['x-governance-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(first.headers['x-governance-target']).toBe('amf:amf-1');
    expect(first.headers['x-governance-revision']).toMatch(/^\d+$/);
    expect(Math.abs(Number(first.headers['x-governance-timestamp']) - Date.now())).toBeLessThan(60_000);
    expect(manager.stats().deliveries.failed).toBe(0);
  });

  it('sign every retry afresh over the same bytes', async () => {
    const fleet = await Fleet.start();
    cleanups.push(() => fleet.close());
    let failuresLeft = 2;
    const sub = await subscriber((_req, res) => {
      if (failuresLeft-- > 0) res.writeHead(503).end();
      else res.writeHead(204).end();
    });
    cleanups.push(sub.close);
    const manager = new Manager({ ...FAST, notificationSecret: SECRET }, new MemoryStore());
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));
    await manager.register(pod('amf', 'amf-1', { health: fleet.healthUrl('amf-1'), notify: sub.url }, ['smf']));
    await waitFor(() => manager.stats().deliveries.delivered === 1, 'delivery after two retries');

    expect(sub.received).toHaveLength(3);
    const { verifyNotificationSignature } = await import('@governance/client');
    const stamps = sub.received.map((r) => Number(r.headers['x-governance-timestamp']));
    expect(stamps[1]).toBeGreaterThan(stamps[0]!);
    expect(stamps[2]).toBeGreaterThan(stamps[1]!);
    expect(new Set(sub.received.map((r) => r.headers['x-governance-signature'])).size).toBe(3);
    for (const r of sub.received) {
      expect(r.body.equals(sub.received[0]!.body)).toBe(true);
      expect(verifyNotificationSignature(SECRET, r.body, r.headers, { subscriber: AMF })).toEqual({ ok: true });
    }
  });

  it('with a wrong secret, are refused with 401 and reported once, without retries', async () => {
    const fleet = await Fleet.start();
    cleanups.push(() => fleet.close());
    const handler = createNotificationHandler(() => undefined, { secret: 'the-subscribers-other-secret', subscriber: AMF });
    const sub = await subscriber((req, res, body) => {
      (req as http.IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      handler(req, res);
    });
    cleanups.push(sub.close);
    const manager = new Manager({ ...FAST, notificationSecret: SECRET }, new MemoryStore());
    const failures: NotificationFailure[] = [];
    manager.on('notificationFailed', (f) => failures.push(f));
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));
    await manager.register(pod('amf', 'amf-1', { health: fleet.healthUrl('amf-1'), notify: sub.url }, ['smf']));
    await waitFor(() => failures.length === 1, 'notificationFailed');
    expect(failures[0]!.error.message).toMatch(/failed after 1 attempt\(s\): HTTP 401/);
    expect(sub.received).toHaveLength(1);
  });

  it('bind their receiver: a delivery captured on its way to one pod is refused by another pod that shares the secret', async () => {
    const fleet = await Fleet.start();
    cleanups.push(() => fleet.close());
    const AMF2 = { serviceName: 'amf', podName: 'amf-2' };
    const got: Record<string, unknown[]> = { 'amf-1': [], 'amf-2': [] };
    const receiver = (who: typeof AMF) => {
      const handler = createNotificationHandler((p) => void got[who.podName]!.push(p), { secret: SECRET, subscriber: who });
      return subscriber((req, res, body) => {
        (req as http.IncomingMessage & { rawBody?: Buffer }).rawBody = body;
        handler(req, res);
      });
    };
    const one = await receiver(AMF);
    const two = await receiver(AMF2);
    cleanups.push(one.close, two.close);
    const manager = new Manager({ ...FAST, notificationSecret: SECRET, wireProfile: 'go' }, new MemoryStore());
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));
    await manager.register(pod('amf', 'amf-1', { health: fleet.healthUrl('amf-1'), notify: one.url }, ['smf']));
    // amf-2 watches another group: on its own, it would accept news of smf it never asked for.
    await manager.register(pod('amf', 'amf-2', { health: fleet.healthUrl('amf-2'), notify: two.url }, ['upf']));
    await waitFor(() => got['amf-1']!.length > 0 && got['amf-2']!.length > 0, 'both pods notified');

    // The Go profile keeps the body to the Go payload's fields: everything signed travels in headers.
    const captured = one.received[0]!;
    expect(Object.keys(JSON.parse(captured.body.toString()))).toEqual(['service_name', 'event_type', 'timestamp', 'pods']);
    const signedHeaders = Object.fromEntries(
      Object.entries(captured.headers).filter(([name]) => name.startsWith('x-governance-') || name === 'content-type'),
    ) as Record<string, string>;
    const replay = await fetch(two.url, { method: 'POST', headers: signedHeaders, body: captured.body });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toMatch(/addressed to "amf:amf-1", not to this receiver \("amf:amf-2"\)/);
    const { 'x-governance-target': _, ...withoutTarget } = signedHeaders;
    const stripped = await fetch(two.url, { method: 'POST', headers: withoutTarget, body: captured.body });
    expect(stripped.status).toBe(401);
    expect(got['amf-2']).toHaveLength(1);
  });

  it('are not signed without a secret', async () => {
    const fleet = await Fleet.start();
    cleanups.push(() => fleet.close());
    const sub = await subscriber((_req, res) => res.writeHead(204).end());
    cleanups.push(sub.close);
    const manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));
    await manager.register(pod('amf', 'amf-1', { health: fleet.healthUrl('amf-1'), notify: sub.url }, ['smf']));
    await waitFor(() => sub.received.length === 1, 'a notification');
    expect(sub.received[0]!.headers['x-governance-signature']).toBeUndefined();
    expect(sub.received[0]!.headers['x-governance-timestamp']).toBeUndefined();
  });
});

describe('outbound target policy', () => {
  it('refuses registrations to denied literal addresses, naming the field (manager API, camelCase)', async () => {
    const manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));
    const error = await manager
      .register(pod('amf', 'amf-1', { health: 'http://127.0.0.1:9/health', notify: 'http://[::ffff:169.254.169.254]/notify' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path)).toEqual(['notificationUrl']);
    expect(await manager.listServices()).toEqual([]);
  });

  it('refuses localhost at registration when loopback is denied', async () => {
    const manager = new Manager({ ...FAST, targetPolicy: { deny: ['127.0.0.0/8', '::1/128'] } }, new MemoryStore());
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));
    await expect(
      manager.register(pod('amf', 'amf-1', { health: 'http://localhost:8080/health', notify: 'http://10.0.0.1/notify' })),
    ).rejects.toThrow(/healthCheckUrl: localhost is 127\.0\.0\.1: address 127\.0\.0\.1 is denied by the target policy/);
  });

  it('checks the resolved address at connect time: a hostname resolving to a denied address fails probes and deliveries', async () => {
    const fleet = await Fleet.start();
    cleanups.push(() => fleet.close());
    const sub = await subscriber((_req, res) => res.writeHead(204).end());
    cleanups.push(sub.close);
    const tcp = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => tcp.close(resolve)));
    const tcpPort = (tcp.address() as AddressInfo).port;
    const fleetPort = new URL(fleet.base).port;

    // Pods already in the store (registered before the policy was tightened) bypass the
    // registration check: only the connect-time lookup stands between them and loopback.
    const store = new MemoryStore();
    await store.saveService(pod('amf', 'amf-1', { health: `http://localhost:${fleetPort}/health/amf-1`, notify: `http://localhost:${sub.port}/notify` }, ['smf']));
    await store.addSubscription('amf:amf-1', 'smf');
    await store.saveService(pod('smf', 'smf-1', { health: `tcp://localhost:${tcpPort}`, notify: 'http://10.255.255.1/notify' }));
    await store.saveService(pod('upf', 'upf-1', { health: `http://127.0.0.1:${fleetPort}/health/upf-1`, notify: 'http://10.255.255.1/notify' }));

    const manager = new Manager({ ...FAST, healthCheckInterval: 200, targetPolicy: { deny: ['127.0.0.0/8', '::1/128'] } }, store);
    const probeFailures = new Map<string, ProbeResult>();
    const failures: NotificationFailure[] = [];
    manager.on('healthCheckFailed', (key, result) => probeFailures.set(key, result));
    manager.on('notificationFailed', (f) => failures.push(f));
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));

    await waitFor(() => probeFailures.size === 3 && failures.length >= 1, 'three failed probes and a failed delivery');
    expect(probeFailures.get('amf:amf-1')).toMatchObject({
      healthy: false,
      attempts: 1,
      error: expect.stringMatching(/^\[core\] refused to connect to localhost \((127\.0\.0\.1|::1)\): address .* is denied by the target policy/),
    });
    expect(probeFailures.get('smf:smf-1')!.error).toMatch(/^\[core\] refused to connect to localhost .* denied by the target policy/);
    expect(probeFailures.get('upf:upf-1')).toMatchObject({ attempts: 0, error: expect.stringMatching(/^\[core\] refused to connect to 127\.0\.0\.1: address 127\.0\.0\.1 is denied/) });
    expect(fleet.healthRequests).toBe(0);

    const failure = failures.find((f) => f.subscriberKey === 'amf:amf-1')!;
    expect(failure.error.message).toMatch(/refused to connect to localhost .* denied by the target policy/);
    expect(failure.error.message).toMatch(/failed after 1 attempt\(s\)/);
    expect((failure.error as Error & { attempts?: number }).attempts).toBe(1);
    expect(sub.received).toHaveLength(0);
  });

  it('with an allow list, serves only the allowed ranges', async () => {
    const fleet = await Fleet.start();
    cleanups.push(() => fleet.close());
    const manager = new Manager({ ...FAST, healthCheckInterval: 200, targetPolicy: { allow: ['127.0.0.0/8', '::1/128'] } }, new MemoryStore());
    const statuses = new Map<string, string>();
    manager.on('statusChanged', (s) => statuses.set(s.podName, s.status));
    await manager.start();
    cleanups.push(() => manager.stop({ timeoutMs: 500 }));

    await expect(
      manager.register(pod('amf', 'amf-1', { health: 'http://10.1.2.3/health', notify: fleet.notifyUrl('amf-1') })),
    ).rejects.toThrow(/healthCheckUrl: address 10\.1\.2\.3 is not in the target policy's allow list/);
    await manager.register(pod('amf', 'amf-2', { health: fleet.healthUrl('amf-2').replace('127.0.0.1', 'localhost'), notify: fleet.notifyUrl('amf-2') }));
    await waitFor(() => statuses.get('amf-2') === 'healthy', 'amf-2 healthy through localhost');
  });
});
