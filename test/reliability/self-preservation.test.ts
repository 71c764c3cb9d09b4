import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, type SelfPreservationState } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAST, Fleet, podRegistration, waitFor } from '../../packages/core/test/manager/helpers';

const PODS = 10;
const pod = (i: number): string => `api-${i}`;

describe('self-preservation (deregisterAfter paused while a large share of the fleet is unhealthy)', () => {
  let fleet: Fleet;
  let manager: Manager | undefined;
  let server: http.Server | undefined;
  beforeEach(async () => {
    fleet = await Fleet.start();
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await manager?.stop();
    manager = undefined;
    await fleet.close();
  });

  async function startFleet(config: ConstructorParameters<typeof Manager>[0]): Promise<{ m: Manager; base: string; changes: SelfPreservationState[]; deregistered: string[] }> {
    const m = new Manager({ ...FAST, healthCheckInterval: 100, deregisterAfter: 400, ...config }, new MemoryStore());
    manager = m;
    await m.start();
    const changes: SelfPreservationState[] = [];
    const deregistered: string[] = [];
    m.on('selfPreservationChanged', (state) => changes.push(state));
    m.on('deregistered', (service) => deregistered.push(service.podName));
    for (let i = 0; i < PODS; i++) await m.register(podRegistration(fleet, 'api', pod(i)));
    await waitFor(() => m.stats().pods.healthy === PODS, 'every pod healthy');
    server = http.createServer(createNodeListener(m));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { m, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, changes, deregistered };
  }

  it('takes 80 % of the fleet down at once: nobody is deregistered, the event fires, /health and stats() say so; back up → normal', async () => {
    const { m, base, changes, deregistered } = await startFleet({});
    expect(m.stats().selfPreservation).toMatchObject({ active: false, threshold: 0.5, minPods: 10, unhealthyShare: 0 });
    for (let i = 0; i < 8; i++) fleet.setHealth(pod(i), 'down');
    await waitFor(() => changes.length === 1, 'self-preservation to begin');
    expect(changes[0]).toMatchObject({ active: true, threshold: 0.5 });
    await waitFor(() => m.stats().pods.unhealthy === 8, 'eight pods unhealthy');
    // Several times deregisterAfter (400 ms) with checks every 100 ms: still all registered, statuses truthful.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(deregistered).toEqual([]);
    expect(m.stats().pods).toMatchObject({ total: PODS, unhealthy: 8, healthy: 2 });
    expect((await m.getService('api:api-0'))?.status).toBe('unhealthy');
    expect(m.stats().selfPreservation).toMatchObject({ active: true, unhealthyShare: 0.8 });
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', self_preservation: { active: true, threshold: 0.5, unhealthy_share: 0.8 } });

    // Back up: the pause ends and the engine behaves as before.
    for (let i = 0; i < 8; i++) fleet.setHealth(pod(i), 'up');
    await waitFor(() => changes.length === 2, 'self-preservation to end');
    expect(changes[1]).toMatchObject({ active: false });
    await waitFor(() => m.stats().pods.healthy === PODS, 'every pod healthy again');
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'healthy' });
    fleet.setHealth(pod(9), 'down');
    await waitFor(() => deregistered.includes(pod(9)), 'a lone dead pod to be deregistered after deregisterAfter');
    expect(deregistered).toEqual([pod(9)]);
    expect(m.stats().pods.total).toBe(PODS - 1);
  });

  it('deregisters pods that stayed down once the share drops below the threshold', async () => {
    const { m, changes, deregistered } = await startFleet({});
    for (let i = 0; i < 8; i++) fleet.setHealth(pod(i), 'down');
    await waitFor(() => changes.length === 1, 'self-preservation to begin');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(deregistered).toEqual([]);
    for (let i = 0; i < 5; i++) fleet.setHealth(pod(i), 'up'); // 3 of 10 still down: 30 % < 50 %
    await waitFor(() => changes.length === 2 && deregistered.length === 3, 'the pause to end and the three dead pods to go');
    expect(deregistered.sort()).toEqual([pod(5), pod(6), pod(7)]);
    expect(m.stats().pods).toMatchObject({ total: 7, healthy: 7 });
  });

  it.each([{ selfPreservationThreshold: 0 }, { selfPreservationMinPods: 11 }])('does not pause with %o (off, or fewer checked pods than the minimum)', async (config) => {
    const { changes, deregistered } = await startFleet(config);
    for (let i = 0; i < 8; i++) fleet.setHealth(pod(i), 'down');
    await waitFor(() => deregistered.length === 8, 'the eight dead pods to be deregistered');
    expect(changes).toEqual([]);
  });

  it('rejects a threshold outside 0–1, naming the field', () => {
    expect(() => new Manager({ selfPreservationThreshold: 1.5 }, new MemoryStore())).toThrow(/selfPreservationThreshold/);
    expect(() => new Manager({ selfPreservationMinPods: 0 }, new MemoryStore())).toThrow(/selfPreservationMinPods/);
  });
});
