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
