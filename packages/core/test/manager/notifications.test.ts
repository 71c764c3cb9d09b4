import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { FAST, Fleet, deliveriesSettled, podRegistration, waitFor } from './helpers';

describe('Manager notifications', () => {
  let fleet: Fleet;
  let manager: Manager;

  beforeEach(async () => {
    fleet = await Fleet.start();
  });

  afterEach(async () => {
    await manager?.stop({ timeoutMs: 500 });
    await fleet.close();
  });

  it('sends register with the full pod list to the subscribers of the group', async () => {
    manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    await manager.register(podRegistration(fleet, 'eir', 'watcher', ['diam-gw']));
    await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    const second = await manager.register(podRegistration(fleet, 'diam-gw', 'gw-2', [], 3868));
    expect(second.outcome).toBe('created');
    expect(second.service.status).toBe('unknown');

    const both = () => fleet.received('watcher').find((p) => p.event_type === 'register' && p.pods.length === 2);
    await waitFor(() => both() !== undefined, 'a register payload with both pods');
    const payload = both()!;
    expect(payload.service_name).toBe('diam-gw');
    expect(payload.event_type).toBe('register');
    expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp);
    expect(payload.pods.map((p) => p.pod_name).sort()).toEqual(['gw-1', 'gw-2']);
    expect(payload.pods.find((p) => p.pod_name === 'gw-2')!.providers).toEqual([
      { protocol: 'http', ip: '10.0.0.1', port: 3868 },
    ]);
    expect(typeof payload.revision).toBe('number');
    // Nobody subscribes to 'eir', so gw pods got nothing.
    expect(fleet.received('gw-1')).toEqual([]);
  });

  it('sends unregister with the remaining pods, and false for an unknown pod', async () => {
    manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    await manager.register(podRegistration(fleet, 'eir', 'watcher', ['http-gw']));
    await manager.register(podRegistration(fleet, 'http-gw', 'a'));
    await manager.register(podRegistration(fleet, 'http-gw', 'b'));
    await waitFor(() => manager.stats().pods.healthy === 3, 'every pod checked');

    expect(await manager.unregister('http-gw', 'a')).toBe(true);
    await waitFor(() => fleet.last('watcher')?.event_type === 'unregister', 'an unregister payload');
    expect(fleet.last('watcher')!.service_name).toBe('http-gw');
    expect(fleet.last('watcher')!.pods.map((p) => p.pod_name)).toEqual(['b']);
    expect(await manager.getService('http-gw:a')).toBeUndefined();
    expect(await manager.unregister('http-gw', 'a')).toBe(false);
  });

  it('marks a failing pod unhealthy with an update, and healthy again on recovery', async () => {
    manager = new Manager(FAST, new MemoryStore());
    const changes: string[] = [];
    manager.on('statusChanged', (service, previous) => changes.push(`${service.podName}:${previous}->${service.status}`));
    await manager.start();
    await manager.register(podRegistration(fleet, 'eir', 'watcher', ['diam-gw']));
    await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    await waitFor(async () => (await manager.getService('diam-gw:gw-1'))?.status === 'healthy', 'first check');

    fleet.setHealth('gw-1', 'down');
    await waitFor(async () => (await manager.getService('diam-gw:gw-1'))?.status === 'unhealthy', 'unhealthy');
    await waitFor(
      () => fleet.last('watcher')?.event_type === 'update' && fleet.last('watcher')?.pods[0]?.status === 'unhealthy',
      'an update saying unhealthy',
    );

    fleet.setHealth('gw-1', 'up');
    await waitFor(
      () => fleet.last('watcher')?.event_type === 'update' && fleet.last('watcher')?.pods[0]?.status === 'healthy',
      'an update saying healthy',
    );
    expect(changes.filter((c) => c.startsWith('gw-1'))).toEqual(['gw-1:unknown->healthy', 'gw-1:healthy->unhealthy', 'gw-1:unhealthy->healthy']);
    expect(manager.stats().pods).toMatchObject({ healthy: 2, unhealthy: 0, total: 2 });
  });

  it('delivers the latest payload to a subscriber that failed twice, once it recovers', async () => {
    manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    await manager.register(podRegistration(fleet, 'eir', 'watcher', ['diam-gw']));
    fleet.failNext('watcher', 2);
    await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    await waitFor(() => fleet.received('watcher').length >= 1, 'delivery after two failures');
    const payload = fleet.last('watcher')!;
    expect(payload.service_name).toBe('diam-gw');
    expect(payload.pods.map((p) => p.pod_name)).toEqual(['gw-1']);
    expect(manager.stats().deliveries.failed).toBe(0);
  });

  it('21 status flips while a POST is in flight end in one more POST, carrying the final state', async () => {
    // Long timeouts: the held POST must not time out, however slow the machine is.
    manager = new Manager({ ...FAST, healthCheckInterval: 60_000, notificationTimeout: 60_000 }, new MemoryStore());
    await manager.start();
    await manager.register(podRegistration(fleet, 'eir', 'watcher', ['diam-gw']));
    await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    await waitFor(async () => (await manager.getService('diam-gw:gw-1'))?.status === 'healthy', 'first check');
    await deliveriesSettled(manager);
    const before = { posts: fleet.notifyRequests, received: fleet.received('watcher').length, ...manager.stats().deliveries };
    const release = fleet.holdNotifications();
    try {
      fleet.setHealth('gw-1', 'down');
      await manager.checkNow();
      await waitFor(() => fleet.notifyRequests - before.posts === 1, 'the first flip\'s POST to reach the subscriber');
      for (let i = 1; i < 20; i++) {
        fleet.setHealth('gw-1', i % 2 === 0 ? 'down' : 'up');
        await manager.checkNow();
      }
      fleet.setHealth('gw-1', 'down');
      await manager.checkNow();
      await waitFor(async () => (await manager.getService('diam-gw:gw-1'))?.status === 'unhealthy', 'final state');
      // The first flip's POST is held by the subscriber; the 20 updates after it wait for that one.
      expect(fleet.notifyRequests - before.posts).toBe(1);
    } finally {
      release();
    }
    await deliveriesSettled(manager);
    const after = manager.stats().deliveries;
    const posts = fleet.notifyRequests - before.posts;
    console.log(`[notifications] 21 flips: ${posts} POSTs, ${after.superseded - before.superseded} updates superseded`);
    expect(posts).toBe(2);
    expect(after.delivered - before.delivered).toBe(2);
    expect(after.superseded - before.superseded).toBe(19);
    const got = fleet.received('watcher').slice(before.received);
    expect(got.map((p) => p.pods[0]!.status)).toEqual(['unhealthy', 'unhealthy']);
    expect(got[1]!.revision!).toBeGreaterThan(got[0]!.revision!);
  });

  it('sends a new subscriber the current state of the group it subscribes to', async () => {
    manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    await manager.register(podRegistration(fleet, 'diam-gw', 'gw-2'));
    await manager.register(podRegistration(fleet, 'eir', 'newcomer', ['diam-gw']));
    await waitFor(() => fleet.received('newcomer').length > 0, 'the group state');
    const first = fleet.received('newcomer')[0]!;
    expect(first.service_name).toBe('diam-gw');
    expect(first.pods.map((p) => p.pod_name).sort()).toEqual(['gw-1', 'gw-2']);
  });

  it('reconciles every subscribed group, including one with no pods', async () => {
    manager = new Manager({ ...FAST, notificationInterval: 150 }, new MemoryStore());
    const reconciles: number[] = [];
    manager.on('reconciled', ({ groups }) => reconciles.push(groups));
    await manager.start();
    await manager.register(podRegistration(fleet, 'eir', 'lonely', ['nobody-here']));
    await waitFor(
      () => fleet.received('lonely').some((p) => p.event_type === 'reconcile' && p.service_name === 'nobody-here'),
      'a reconcile for the empty group',
    );
    const payload = fleet.received('lonely').find((p) => p.event_type === 'reconcile')!;
    expect(payload.pods).toEqual([]);
    await waitFor(() => reconciles.some((g) => g === 1), 'a periodic reconcile event');
  });

  it('treats an identical re-registration as unchanged: no store write, no notification, status kept', async () => {
    const store = new MemoryStore();
    manager = new Manager(FAST, store);
    await manager.start();
    await manager.register(podRegistration(fleet, 'eir', 'watcher', ['diam-gw']));
    await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    await waitFor(async () => (await manager.getService('diam-gw:gw-1'))?.status === 'healthy', 'first check');
    await deliveriesSettled(manager);
    const registers = () => fleet.received('watcher').filter((p) => p.event_type === 'register').length;
    const count = registers();
    const stored = await store.getService('diam-gw:gw-1');

    const again = await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    expect(again.outcome).toBe('unchanged');
    expect(again.service.status).toBe('healthy');
    expect((await store.getService('diam-gw:gw-1'))!.updatedAt).toEqual(stored!.updatedAt);
    await new Promise((r) => setTimeout(r, 100));
    await deliveriesSettled(manager);
    expect(registers()).toBe(count);

    const changed = await manager.register(podRegistration(fleet, 'diam-gw', 'gw-1', [], 9999));
    expect(changed.outcome).toBe('updated');
    expect(changed.service.status).toBe('healthy');
    expect(changed.service.registeredAt).toEqual(stored!.registeredAt);
    await waitFor(() => fleet.last('watcher')?.pods[0]?.providers[0]?.port === 9999, 'a register for the change');
    expect(fleet.last('watcher')!.event_type).toBe('register');
  });
});
