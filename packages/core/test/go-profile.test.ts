import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Manager, type ManagerConfigInput, type WireProfile } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { createNotificationHandler, type NotificationPayload } from '@governance/client';
import { toGoTime } from '../src/wire';
import { FAST, Fleet, deliveriesSettled, podRegistration, waitFor } from './manager/helpers';
import {
  GO_NOTIFICATION_PAYLOAD,
  GO_SERVICES_RESPONSE,
  GoDecodeError,
  decodeStrict,
} from './support/go-decoder';
import { listen, type MountedServer } from './transport/support/scenarios';

describe('the strict Go decoder used below', () => {
  it('refuses an unknown field and matches field names case-insensitively, as encoding/json does', () => {
    const pod = { pod_name: 'p', status: 'healthy', providers: [] };
    const payload = { service_name: 'eir', event_type: 'update', timestamp: '2026-01-02T03:04:05Z', pods: [pod] };
    expect(decodeStrict(JSON.stringify(payload), GO_NOTIFICATION_PAYLOAD)).toBeTruthy();
    expect(decodeStrict(JSON.stringify({ ...payload, SERVICE_NAME: 'x', service_name: undefined }), GO_NOTIFICATION_PAYLOAD)).toBeTruthy();
    expect(() => decodeStrict(JSON.stringify({ ...payload, revision: 7 }), GO_NOTIFICATION_PAYLOAD)).toThrow(
      new GoDecodeError('json: unknown field "revision" (models.NotificationPayload)'),
    );
    expect(() => decodeStrict(JSON.stringify({ ...payload, timestamp: '2026-01-02 03:04:05' }), GO_NOTIFICATION_PAYLOAD)).toThrow(/RFC 3339/);
    expect(() => decodeStrict(JSON.stringify({ ...payload, pods: [{ ...pod, providers: [{ port: 1.5 }] }] }), GO_NOTIFICATION_PAYLOAD)).toThrow(
      /cannot unmarshal number into Go value of type int/,
    );
  });
});

describe('toGoTime', () => {
  it('writes times as Go marshals time.Time: RFC 3339, trailing zeros of the fraction dropped', () => {
    expect(toGoTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678Z');
    expect(toGoTime(new Date('2026-01-02T03:04:05.600Z'))).toBe('2026-01-02T03:04:05.6Z');
    expect(toGoTime(new Date('2026-01-02T03:04:05.120Z'))).toBe('2026-01-02T03:04:05.12Z');
    expect(toGoTime(new Date('2026-01-02T03:04:10.000Z'))).toBe('2026-01-02T03:04:10Z');
  });
});

/** A manager on a MemoryStore with its API on a real server, and a fleet of pods that records what it receives. */
function harness() {
  let fleet: Fleet;
  let manager: Manager | undefined;
  let server: MountedServer | undefined;
  beforeEach(async () => {
    fleet = await Fleet.start();
  });
  afterEach(async () => {
    await server?.close();
    await manager?.stop({ timeoutMs: 500 });
    await fleet.close();
    server = undefined;
    manager = undefined;
  });
  return {
    get fleet() {
      return fleet;
    },
    async start(config: ManagerConfigInput, handlerProfile?: WireProfile) {
      manager = new Manager({ ...FAST, ...config }, new MemoryStore());
      await manager.start();
      const options = handlerProfile === undefined ? {} : { wireProfile: handlerProfile };
      server = await listen(http.createServer(createNodeListener(manager, options)), '');
      await manager.register(podRegistration(fleet, 'http-gw', 'http-gw-pod-1', ['eir']));
      await manager.register(podRegistration(fleet, 'eir', 'eir-pod-1'));
      await waitFor(() => fleet.deliveries('http-gw-pod-1').length > 0, 'the first notification');
      await deliveriesSettled(manager);
      const services = await fetch(`${server.baseUrl}/services`);
      return { manager, servicesText: await services.text(), deliveries: fleet.deliveries('http-gw-pod-1') };
    },
  };
}

describe("wireProfile: 'go'", () => {
  const h = harness();

  it('notification bodies decode strictly into the Go payload struct; the revision is in a header', async () => {
    const { deliveries } = await h.start({ wireProfile: 'go' });
    let lastRevision = 0;
    for (const { body, headers } of deliveries) {
      expect(() => decodeStrict(body, GO_NOTIFICATION_PAYLOAD)).not.toThrow();
      expect(Object.keys(JSON.parse(body))).toEqual(['service_name', 'event_type', 'timestamp', 'pods']);
      const revision = Number(headers['x-governance-revision']);
      expect(Number.isSafeInteger(revision) && revision > lastRevision).toBe(true);
      lastRevision = revision;
    }
    const last = JSON.parse(deliveries[deliveries.length - 1]!.body);
    expect(last.pods[0]).toEqual({ pod_name: 'eir-pod-1', status: expect.any(String), providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }] });
  });

  it('GET /services decodes strictly into Go ServiceInfo records with every field filled, in Go time format', async () => {
    const { servicesText, manager } = await h.start({ wireProfile: 'go' });
    const decoded = decodeStrict(servicesText, GO_SERVICES_RESPONSE) as { Count: number; Services: Array<Record<string, unknown>> };
    expect(decoded.Count).toBe(2);
    const eir = decoded.Services.find((s) => s.PodName === 'eir-pod-1')!;
    const stored = (await manager.getService('eir:eir-pod-1'))!;
    expect(eir).toEqual({
      ServiceName: 'eir',
      PodName: 'eir-pod-1',
      Providers: [{ Protocol: 'http', IP: '10.0.0.1', Port: 8080 }],
      HealthCheckURL: stored.healthCheckUrl,
      NotificationURL: stored.notificationUrl,
      Subscriptions: [],
      Status: stored.status,
      LastHealthCheck: toGoTime(stored.lastHealthCheck),
      RegisteredAt: toGoTime(stored.registeredAt),
    });
  });

  it('is what a receiver built with @governance/client accepts, with the revision taken from the header', async () => {
    const { deliveries } = await h.start({ wireProfile: 'go' });
    const received: NotificationPayload[] = [];
    const receiver = createNotificationHandler((payload) => void received.push(payload));
    const server = http.createServer((req, res) => receiver(req, res));
    const mounted = await listen(server, '');
    try {
      for (const { body, headers } of deliveries) {
        const answer = await fetch(mounted.baseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-governance-revision': String(headers['x-governance-revision']) },
          body,
        });
        expect(answer.status).toBe(200);
      }
    } finally {
      await mounted.close();
    }
    expect(received.map((p) => p.revision)).toEqual(deliveries.map((d) => Number(d.headers['x-governance-revision'])));
  });

  it('can be chosen by the handler alone (listing only; notifications follow the manager)', async () => {
    const { servicesText, deliveries } = await h.start({}, 'go');
    expect(() => decodeStrict(servicesText, GO_SERVICES_RESPONSE)).not.toThrow();
    expect(JSON.parse(deliveries[0]!.body).revision).toBeTypeOf('number');
  });
});

describe("wireProfile: 'native' (the default) keeps today's shapes", () => {
  const h = harness();

  it('notifications carry revision in the body and the same value in the header; a strict Go decoder refuses them', async () => {
    const { deliveries } = await h.start({});
    for (const { body, headers } of deliveries) {
      const payload = JSON.parse(body);
      expect(Object.keys(payload)).toEqual(['service_name', 'event_type', 'timestamp', 'pods', 'revision']);
      expect(payload.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(headers['x-governance-revision']).toBe(String(payload.revision));
      expect(() => decodeStrict(body, GO_NOTIFICATION_PAYLOAD)).toThrow('json: unknown field "revision"');
    }
  });

  it('GET /services lists snake_case records with millisecond times; a strict Go decoder refuses them', async () => {
    const { servicesText } = await h.start({});
    const body = JSON.parse(servicesText);
    expect(body.count).toBe(2);
    for (const service of body.services) {
      expect(Object.keys(service)).toEqual([
        'service_name',
        'pod_name',
        'providers',
        'health_check_url',
        'notification_url',
        'subscriptions',
        'status',
        'last_health_check',
        'registered_at',
        'updated_at',
      ]);
      expect(service.registered_at).toMatch(/\.\d{3}Z$/);
    }
    expect(() => decodeStrict(servicesText, GO_SERVICES_RESPONSE)).toThrow('json: unknown field "service_name"');
  });
});

describe('the wireProfile setting', () => {
  it('is checked by the manager and by the handler', () => {
    expect(() => new Manager({ wireProfile: 'json' as WireProfile }, new MemoryStore())).toThrow(/wireProfile: must be one of native, go/);
    const manager = new Manager({}, new MemoryStore());
    expect(() => createNodeListener(manager, { wireProfile: 'xml' as WireProfile })).toThrow(/\[core\] wireProfile must be one of native, go/);
  });
});
