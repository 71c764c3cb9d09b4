import { afterEach, describe, expect, it } from 'vitest';
import { Manager, type ServiceInfo, type ServiceStatus } from '@governance/core';
import { collectMetrics } from '@governance/core/prometheus';
import { MemoryStore } from '@governance/store-memory';
import { namingProblems, parseExposition, seriesCount, valueOf } from './exposition';

const STATUSES: ServiceStatus[] = ['healthy', 'unhealthy', 'unknown'];
const managers: Manager[] = [];
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.stop();
});

/** A started manager whose store already holds `pods` pods spread over `services` services. */
async function managerWith(pods: number, services: number): Promise<Manager> {
  const store = new MemoryStore();
  const now = new Date();
  for (let i = 0; i < pods; i++) {
    const service: ServiceInfo = {
      serviceName: `svc-${String(i % services).padStart(5, '0')}`,
      podName: `pod-${i}`,
      providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
      healthCheckUrl: 'tcp://127.0.0.1:9',
      notificationUrl: 'http://127.0.0.1:9/notify',
      subscriptions: [],
      status: STATUSES[i % 3]!,
      lastHealthCheck: now,
      registeredAt: now,
      updatedAt: now,
    };
    await store.saveService(service);
  }
  // Checks are spread over the interval: an hour keeps the probes out of this test.
  const manager = new Manager({ healthCheckInterval: 3_600_000 }, store);
  await manager.start();
  managers.push(manager);
  return manager;
}

describe('metric cardinality', () => {
  it('stays bounded with 10,000 pods: series per service and status, never per pod', async () => {
    const small = await managerWith(100, 100);
    const large = await managerWith(10_000, 100);
    const smallFamilies = parseExposition(await collectMetrics(small).metrics());
    const families = parseExposition(await collectMetrics(large).metrics());

    expect(namingProblems(families)).toEqual([]);
    expect(seriesCount(families, 'governance_pods')).toBe(300);
    const podSum = families.get('governance_pods')!.samples.reduce((sum, s) => sum + s.value, 0);
    expect(podSum).toBe(10_000);
    expect(valueOf(families, 'governance_pods', { service: 'svc-00000', status: 'healthy' })).toBe(34);
    // 100 times the pods, the same series.
    expect(seriesCount(families)).toBe(seriesCount(smallFamilies));
    expect(seriesCount(families)).toBeLessThan(600);
  });

  it('caps the service label at maxServiceLabels, counting the rest as _other', async () => {
    const manager = await managerWith(10_000, 10_000);
    const families = parseExposition(await collectMetrics(manager, { maxServiceLabels: 1000 }).metrics());
    expect(seriesCount(families, 'governance_pods')).toBe(3 * 1001);
    const other = STATUSES.map((status) => valueOf(families, 'governance_pods', { service: '_other', status })!);
    expect(other.reduce((a, b) => a + b, 0)).toBe(9_000);
    expect(valueOf(families, 'governance_pods', { service: 'svc-00999', status: 'healthy' })).toBe(1);
    expect(valueOf(families, 'governance_pods', { service: 'svc-01000', status: 'healthy' })).toBeUndefined();
  });
});
