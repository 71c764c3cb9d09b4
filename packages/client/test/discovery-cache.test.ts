import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DiscoveryCache, type DiscoveredPod, type NotificationPayload } from '@governance/client';

const pod = (name: string, status: 'healthy' | 'unhealthy' | 'unknown', ip: string) => ({
  pod_name: name,
  status,
  providers: [
    { protocol: 'http' as const, ip, port: 8080 },
    { protocol: 'tcp' as const, ip, port: 3868 },
  ],
});

const notification = (pods: NotificationPayload['pods'], revision?: number, service = 'eir'): NotificationPayload => ({
  service_name: service,
  event_type: 'update',
  timestamp: '2026-11-23T05:00:00Z',
  pods,
  ...(revision === undefined ? {} : { revision }),
});

describe('DiscoveryCache', () => {
  it('lists healthy endpoints per protocol and picks them round-robin', () => {
    const cache = new DiscoveryCache();
    cache.apply(notification([pod('eir-1', 'healthy', '10.0.0.1'), pod('eir-2', 'unhealthy', '10.0.0.2'), pod('eir-3', 'healthy', '10.0.0.3')], 1));
    expect(cache.healthyEndpoints('eir', 'tcp')).toEqual([
      { ip: '10.0.0.1', port: 3868, podName: 'eir-1' },
      { ip: '10.0.0.3', port: 3868, podName: 'eir-3' },
    ]);
    const picks = [1, 2, 3, 4].map(() => cache.pick('eir', 'http')?.podName);
    expect(picks).toEqual(['eir-1', 'eir-3', 'eir-1', 'eir-3']);
    expect(cache.pick('eir', 'udp')).toBeUndefined();
    expect(cache.pick('unknown', 'http')).toBeUndefined();
    expect(cache.pods('unknown')).toEqual([]);
    expect(cache.services()).toEqual(['eir']);
  });

  it('takes each payload as the full state of its group, whatever its event_type (a newer change may supersede an undelivered one)', () => {
    const cache = new DiscoveryCache();
    const as = (eventType: NotificationPayload['event_type'], pods: NotificationPayload['pods'], revision: number): NotificationPayload => ({
      ...notification(pods, revision),
      event_type: eventType,
    });
    // The `register` of eir-2 was superseded before delivery: the first thing heard of it is an `update`.
    cache.apply(as('update', [pod('eir-1', 'healthy', '10.0.0.1'), pod('eir-2', 'healthy', '10.0.0.2')], 1));
    expect(cache.pods('eir').map((p) => p.podName)).toEqual(['eir-1', 'eir-2']);
    // An `unregister` lists the pods that are left; a `register` that no longer lists eir-2 removes it too.
    cache.apply(as('unregister', [pod('eir-2', 'healthy', '10.0.0.2')], 2));
    expect(cache.pods('eir').map((p) => p.podName)).toEqual(['eir-2']);
    cache.apply(as('register', [pod('eir-3', 'unknown', '10.0.0.3')], 3));
    expect(cache.pods('eir').map((p) => `${p.podName}/${p.status}`)).toEqual(['eir-3/unknown']);
    cache.apply(as('reconcile', [], 4));
    expect(cache.pods('eir')).toEqual([]);
  });

  it('returns copies, ignores stale revisions and emits change only on real changes', () => {
    const cache = new DiscoveryCache();
    const changes: [string, DiscoveredPod[]][] = [];
    cache.on('change', (service, pods) => changes.push([service, pods]));

    expect(cache.apply(notification([pod('eir-1', 'healthy', '10.0.0.1')], 5))).toBe(true);
    expect(cache.apply(notification([], 4))).toBe(false);
    expect(cache.apply(notification([], 5))).toBe(false);
    expect(cache.pods('eir').map((p) => p.podName)).toEqual(['eir-1']);
    expect(cache.apply(notification([pod('eir-1', 'healthy', '10.0.0.1')], 6))).toBe(true); // reconcile, same pods

    expect(cache.apply(notification([pod('eir-1', 'unhealthy', '10.0.0.1')], 7))).toBe(true);
    expect(cache.pick('eir', 'http')).toBeUndefined();
    expect(cache.apply(notification([], 8))).toBe(true);
    expect(changes.map(([service, pods]) => `${service}:${pods.map((p) => `${p.podName}/${p.status}`).join(',')}`)).toEqual([
      'eir:eir-1/healthy',
      'eir:eir-1/unhealthy',
      'eir:',
    ]);

    cache.apply(notification([pod('d-1', 'healthy', '10.0.1.1')], undefined, 'diam-gw'));
    const copy = cache.pods('diam-gw');
    copy[0]!.providers[0]!.port = 1;
    copy[0]!.status = 'unhealthy';
    expect(cache.healthyEndpoints('diam-gw', 'http')).toEqual([{ ip: '10.0.1.1', port: 8080, podName: 'd-1' }]);
  });

  it('refuses an invalid payload with an error naming the field, leaving the cache unchanged', () => {
    const cache = new DiscoveryCache();
    cache.apply(notification([pod('eir-1', 'healthy', '10.0.0.1')], 1));
    const bad = { ...notification([], 2), pods: [{ pod_name: 'eir-2', status: 'fine', providers: [] }] };
    expect(() => cache.apply(bad as never)).toThrow(/pods\.0\.status must be one of/);
    expect(cache.pods('eir').map((p) => p.podName)).toEqual(['eir-1']);
  });

  it('seeds from a service listing without overriding groups it was already notified about', () => {
    const cache = new DiscoveryCache();
    const changes: string[] = [];
    cache.on('change', (service) => changes.push(service));
    cache.apply(notification([pod('eir-9', 'healthy', '10.0.0.9')], 3));
    const listed = (serviceName: string, podName: string, status: string) => ({
      serviceName, podName, status, providers: [{ protocol: 'http' as const, ip: '10.1.0.1', port: 80 }],
      healthCheckUrl: '', notificationUrl: '', subscriptions: [],
    });
    cache.load(
      [listed('diam-gw', 'd-1', 'healthy'), listed('diam-gw', 'd-2', 'weird'), listed('eir', 'eir-1', 'healthy'), listed('pcf', 'p-1', 'healthy')],
      ['diam-gw', 'eir'],
    );
    expect(cache.pods('diam-gw').map((p) => `${p.podName}/${p.status}`)).toEqual(['d-1/healthy', 'd-2/unknown']);
    expect(cache.pods('eir').map((p) => p.podName)).toEqual(['eir-9']);
    expect(cache.services().sort()).toEqual(['diam-gw', 'eir']);
    expect(changes).toEqual(['eir', 'diam-gw']);
    expect(cache.apply(notification([], 1, 'diam-gw'))).toBe(true);
    expect(cache.pods('diam-gw')).toEqual([]);
  });

  it('is fed by its handler over a real server', async () => {
    const seen: string[] = [];
    const cache = new DiscoveryCache({ onNotification: (p) => seen.push(p.event_type) });
    const http = createServer((req, res) => cache.handler(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const send = (body: unknown) => fetch(`http://127.0.0.1:${port}/notify`, { method: 'POST', body: JSON.stringify(body) });
      const changed = new Promise<DiscoveredPod[]>((resolve) => cache.once('change', (_s, pods) => resolve(pods)));
      expect((await send(notification([pod('eir-1', 'healthy', '10.0.0.1')], 2))).status).toBe(200);
      expect((await changed).map((p) => p.podName)).toEqual(['eir-1']);
      expect((await send({ ...notification([], 1) })).status).toBe(200);
      expect((await send({ service_name: 'eir' })).status).toBe(400);
      expect(cache.pick('eir', 'http')).toEqual({ ip: '10.0.0.1', port: 8080, podName: 'eir-1' });
      expect(seen).toEqual(['update']);
    } finally {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
