import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import {
  DiscoveryCache,
  GovernanceClient,
  NotFoundError,
  NotificationServer,
  RegistrationRejectedError,
  type NotificationPayload,
  type RegistrationInput,
} from '@governance/client';
import { waitFor } from '../../../test/support/wait';

// The client is tested against the real manager and its node:http transport (a dev-time check
// of wire compatibility; the client itself never imports @governance/core).
it('registers, is notified, lists, is rejected with field errors and unregisters against the real manager', async () => {
  const manager = new Manager({ healthCheckInterval: 200, notificationInterval: 60_000 }, new MemoryStore());
  await manager.start();
  const http = createServer(createNodeListener(manager));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const cache = new DiscoveryCache();
  const received: NotificationPayload[] = [];
  const pod = new NotificationServer({
    port: 0,
    host: '127.0.0.1',
    onNotification: (payload) => {
      received.push(payload);
      cache.apply(payload);
    },
  });
  try {
    const podPort = await pod.start();
    const client = new GovernanceClient({
      managerUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      serviceName: 'eir',
      podName: 'eir-1',
    });
    const registration: RegistrationInput = {
      providers: [{ protocol: 'http', ip: '127.0.0.1', port: podPort }],
      healthCheckUrl: `http://127.0.0.1:${podPort}/health`,
      notificationUrl: `http://127.0.0.1:${podPort}/notify`,
      subscriptions: ['eir'],
    };
    const created = await client.register(registration);
    expect(created).toMatchObject({ outcome: 'created', status: 201, service: { ...registration, serviceName: 'eir', podName: 'eir-1' } });
    expect(created.service!.registeredAt).toBeInstanceOf(Date);
    expect(await client.register(registration)).toMatchObject({ outcome: 'unchanged', status: 200, service: { podName: 'eir-1' } });
    const moved = await client.register({ ...registration, subscriptions: ['eir', 'diam-gw'] });
    expect([moved.outcome, moved.status, moved.service!.subscriptions]).toEqual(['updated', 200, ['eir', 'diam-gw']]);

    const services = await client.listServices();
    expect(services.map((s) => `${s.serviceName}:${s.podName}`)).toEqual(['eir:eir-1']);
    expect(services[0]!.registeredAt).toBeInstanceOf(Date);

    await waitFor(() => cache.pick('eir', 'http') !== undefined, 'eir-1 to be healthy in the cache', 10_000);
    expect(cache.pick('eir', 'http')).toEqual({ ip: '127.0.0.1', port: podPort, podName: 'eir-1' });
    expect(received[0]!.event_type).toBe('register');

    const rejected = await client
      .register({
        serviceName: 'bad:name',
        providers: [{ protocol: 'http', ip: '10.0.0.1', port: 70000 }],
        healthCheckUrl: 'file:///etc/passwd',
        notificationUrl: 'http://10.0.0.1/notify',
      })
      .catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(RegistrationRejectedError);
    expect((rejected as RegistrationRejectedError).errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['service_name', 'health_check_url']),
    );

    await client.unregister();
    await expect(client.unregister()).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.listServices()).toEqual([]);
  } finally {
    await manager.stop();
    await pod.stop();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
});

it('keepRegistered keeps a TTL pod healthy by heartbeats against the real manager, and registers again when the manager lost it', async () => {
  const manager = new Manager({ healthCheckInterval: 200, notificationInterval: 60_000 }, new MemoryStore());
  await manager.start();
  const http = createServer(createNodeListener(manager));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const client = new GovernanceClient({ managerUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, serviceName: 'job', podName: 'job-1' });
  const errors: unknown[] = [];
  const outcomes: string[] = [];
  const handle = client.keepRegistered(
    { providers: [{ protocol: 'http', ip: '10.0.0.9', port: 8080 }], healthCheckUrl: '', notificationUrl: 'http://10.0.0.9:8080/notify', ttl: '1s' },
    { intervalMs: 60_000, onError: (e) => errors.push(e), onRegistered: (r) => outcomes.push(r.outcome) },
  );
  try {
    await waitFor(async () => (await manager.getService('job:job-1'))?.status === 'healthy', 'the TTL pod to be healthy');
    expect((await manager.getService('job:job-1'))?.ttl).toBe(1_000);
    const changes: string[] = [];
    manager.on('statusChanged', (s) => changes.push(s.status));
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // three ttls
    expect(changes).toEqual([]);
    // The manager loses the pod: the next heartbeat gets 404 and the pod is registered again at once.
    await manager.unregister('job', 'job-1');
    await waitFor(async () => (await manager.getService('job:job-1'))?.status === 'healthy', 'the pod registered again and healthy', 5_000);
    expect(outcomes).toEqual(['created', 'created']);
    expect(errors).toEqual([]);
  } finally {
    handle.stop();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await manager.stop();
  }
});
