import { Manager, type ServiceInfo, type ServiceStatus } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthGate } from '../../packages/core/src/manager/health-gate';
import { FAST, Fleet, podRegistration, waitFor } from '../../packages/core/test/manager/helpers';

describe('HealthGate (anti-flapping counters)', () => {
  const gate = (failureThreshold: number, successThreshold: number, deregisterAfter = 0) =>
    new HealthGate({ failureThreshold, successThreshold, deregisterAfter });

  it('lets the first result decide for a pod whose status is unknown', () => {
    const g = gate(3, 3);
    expect(g.observe('a:1', true, 'unknown', 0).status).toBe('healthy');
    expect(g.observe('b:1', false, 'unknown', 0).status).toBe('unhealthy');
  });

  it('turns a healthy pod unhealthy only after failureThreshold consecutive failures', () => {
    const g = gate(3, 1);
    const seen: ServiceStatus[] = [];
    for (const healthy of [false, false, true, false, false, false]) seen.push(g.observe('a:1', healthy, 'healthy', 0).status);
    expect(seen).toEqual(['healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'unhealthy']);
  });

  it('turns an unhealthy pod healthy only after successThreshold consecutive passes', () => {
    const g = gate(1, 2);
    const seen: ServiceStatus[] = [];
    for (const healthy of [true, false, true, true, true]) seen.push(g.observe('a:1', healthy, 'unhealthy', 0).status);
    expect(seen).toEqual(['unhealthy', 'unhealthy', 'unhealthy', 'healthy', 'healthy']);
  });

  it('asks for deregistration once a pod has been unhealthy for deregisterAfter', () => {
    const g = gate(2, 1, 1_000);
    expect(g.observe('a:1', false, 'healthy', 0)).toMatchObject({ status: 'healthy', deregister: false });
    expect(g.observe('a:1', false, 'healthy', 100)).toMatchObject({ status: 'unhealthy', deregister: false, unhealthyForMs: 0 });
    expect(g.observe('a:1', false, 'healthy', 1_099)).toMatchObject({ deregister: false, unhealthyForMs: 999 });
    expect(g.observe('a:1', false, 'healthy', 1_100)).toMatchObject({ deregister: true, unhealthyForMs: 1_000 });
  });

  it('restarts the unhealthy clock when the pod recovers, and forgets a pod', () => {
    const g = gate(1, 1, 1_000);
    g.observe('a:1', false, 'unknown', 0);
    g.observe('a:1', true, 'unknown', 500);
    g.observe('a:1', false, 'unknown', 600);
    expect(g.observe('a:1', false, 'unknown', 1_500)).toMatchObject({ deregister: false, unhealthyForMs: 900 });
    g.forget('a:1');
    expect(g.size).toBe(0);
    expect(g.observe('a:1', true, 'unknown', 2_000).status).toBe('healthy');
  });

  it('is a passthrough with the defaults and rejects bad settings', () => {
    expect(gate(1, 1).passthrough).toBe(true);
    expect(gate(2, 1).passthrough).toBe(false);
    expect(gate(1, 1, 5).passthrough).toBe(false);
    expect(() => gate(0, 1)).toThrow(/failureThreshold/);
    expect(() => gate(1, 1.5)).toThrow(/successThreshold/);
  });
});

describe('Manager with failureThreshold / successThreshold / deregisterAfter', () => {
  let fleet: Fleet;
  let manager: Manager | undefined;
  let store: MemoryStore;
  beforeEach(async () => {
    fleet = await Fleet.start();
    store = new MemoryStore();
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await fleet.close();
  });

  it('needs failureThreshold failures in a row to mark a pod unhealthy, and successThreshold passes to recover', async () => {
    manager = new Manager({ ...FAST, healthCheckInterval: 100, failureThreshold: 3, successThreshold: 2 }, store);
    await manager.start();
    const log: string[] = [];
    manager.on('healthCheckFailed', () => log.push('fail'));
    manager.on('statusChanged', (service) => log.push(service.status));
    await manager.register(podRegistration(fleet, 'api', 'api-1'));
    await waitFor(async () => (await manager!.getService('api:api-1'))?.status === 'healthy', 'first pass');

    fleet.setHealth('api-1', 'down');
    await waitFor(async () => (await manager!.getService('api:api-1'))?.status === 'unhealthy', 'unhealthy');
    const flip = log.indexOf('unhealthy');
    expect(log.slice(0, flip).filter((e) => e === 'fail').length).toBeGreaterThanOrEqual(3);
    expect((await store.getService('api:api-1'))?.status).toBe('unhealthy');

    fleet.setHealth('api-1', 'up');
    const before = fleet.healthRequests;
    await waitFor(async () => (await manager!.getService('api:api-1'))?.status === 'healthy', 'healthy again');
    expect(fleet.healthRequests - before).toBeGreaterThanOrEqual(2);
    expect(manager.stats().pods).toMatchObject({ healthy: 1, unhealthy: 0 });
  });

  it('deregisters a pod that stayed unhealthy for deregisterAfter and tells its subscribers', async () => {
    manager = new Manager({ ...FAST, healthCheckInterval: 100, deregisterAfter: 300 }, store);
    await manager.start();
    const removed: Array<{ key: string; unhealthyForMs: number }> = [];
    const unregistered: string[] = [];
    manager.on('deregistered', (s: ServiceInfo, d) => removed.push({ key: `${s.serviceName}:${s.podName}`, ...d }));
    manager.on('unregistered', (s) => unregistered.push(s.podName));
    await manager.register(podRegistration(fleet, 'watcher', 'w-1', ['db']));
    await manager.register(podRegistration(fleet, 'db', 'db-1'));
    await manager.register(podRegistration(fleet, 'db', 'db-2'));
    fleet.setHealth('db-1', 'down');

    await waitFor(() => removed.length === 1, 'deregistration');
    expect(removed[0]!.key).toBe('db:db-1');
    expect(removed[0]!.unhealthyForMs).toBeGreaterThanOrEqual(300);
    expect(unregistered).toEqual(['db-1']);
    expect(await store.getService('db:db-1')).toBeUndefined();
    expect(await manager.getService('db:db-1')).toBeUndefined();
    await waitFor(() => fleet.received('w-1').some((n) => n.event_type === 'unregister'), 'unregister notification');
    const note = fleet.received('w-1').find((n) => n.event_type === 'unregister')!;
    expect(note.service_name).toBe('db');
    expect(note.pods.map((p) => p.pod_name)).toEqual(['db-2']);
    expect(await store.getService('db:db-2')).toBeDefined();
    expect(manager.stats().probes.tracked).toBe(2);
  });

  it('keeps everything as before with the defaults (first failure flips, nothing is removed)', async () => {
    manager = new Manager({ ...FAST, healthCheckInterval: 100 }, store);
    await manager.start();
    await manager.register(podRegistration(fleet, 'api', 'api-1'));
    await waitFor(async () => (await manager!.getService('api:api-1'))?.status === 'healthy', 'healthy');
    fleet.setHealth('api-1', 'down');
    let failures = 0;
    manager.on('healthCheckFailed', () => failures++);
    await waitFor(async () => (await manager!.getService('api:api-1'))?.status === 'unhealthy', 'unhealthy');
    expect(failures).toBeGreaterThanOrEqual(1);
    const later = fleet.healthRequests + 5;
    await waitFor(() => fleet.healthRequests >= later, 'more checks');
    expect(await store.getService('api:api-1')).toBeDefined();
  });
});
