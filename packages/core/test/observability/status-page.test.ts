import { afterEach, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { collectMetrics } from '@governance/core/prometheus';
import { createStatusPage } from '@governance/core/ui';
import { MemoryStore } from '@governance/store-memory';
import { FAST, Fleet, podRegistration } from '../manager/helpers';
import { parseExposition, valueOf } from './exposition';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(): Promise<{ manager: Manager; fleet: Fleet }> {
  const fleet = await Fleet.start();
  const manager = new Manager({ ...FAST, healthCheckInterval: 60_000 }, new MemoryStore());
  await manager.start();
  cleanups.push(() => fleet.close(), () => manager.stop());
  return { manager, fleet };
}

/** The real manager, reporting the cluster information a cluster-mode manager adds to stats(). */
function inCluster(manager: Manager) {
  return {
    on: manager.on.bind(manager),
    off: manager.off.bind(manager),
    getAllServicePods: () => manager.getAllServicePods(),
    podCountsByService: () => manager.podCountsByService(),
    stats: () => ({
      ...manager.stats(),
      cluster: { memberId: 'mgr-a', members: ['mgr-a', 'mgr-b'], valid: true, ownedPods: 1, ownedSubscribers: 0, appliedSeq: 42, reloads: 3 },
    }),
  } as unknown as Manager;
}

describe('the status page', () => {
  it('escapes every name it prints', async () => {
    const { manager, fleet } = await started();
    const page = createStatusPage(manager);
    cleanups.push(() => page.close());
    await manager.register({ ...podRegistration(fleet, 'eir', 'p1'), subscriptions: ['<script>alert(1)</script>'] });
    const html = (await page.serve('')).body;
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('lists at most maxPods pods, the unhealthy first, and says how many are left out', async () => {
    const { manager, fleet } = await started();
    const page = createStatusPage(manager, { maxPods: 2 });
    cleanups.push(() => page.close());
    for (const pod of ['a', 'b', 'c']) await manager.register(podRegistration(fleet, 'eir', pod));
    fleet.setHealth('c', 'down');
    await manager.checkNow();
    const live = (await page.serve('/live')).body;
    expect(live.match(/data-pod="/g)).toHaveLength(2);
    expect(live).toContain('data-pod="eir:c"');
    expect(live).toContain('Showing 2 of 3 pods');
  });

  it('shows the cluster members and this member’s share, and the metrics export them', async () => {
    const { manager, fleet } = await started();
    await manager.register(podRegistration(fleet, 'eir', 'p1'));
    await manager.register(podRegistration(fleet, 'eir', 'p2'));
    const clustered = inCluster(manager);
    const page = createStatusPage(clustered);
    const metrics = collectMetrics(clustered);
    cleanups.push(() => page.close(), () => metrics.close());
    const live = (await page.serve('/live')).body;
    expect(live).toContain('<h2 id="h-cluster">Cluster</h2>');
    expect(live).toContain('<li>mgr-a <strong>(this manager)</strong></li><li>mgr-b</li>');
    expect(live).toContain('1 (50 %)');
    const families = parseExposition(await metrics.metrics());
    expect(valueOf(families, 'governance_cluster_members', { member: 'mgr-a' })).toBe(2);
    expect(valueOf(families, 'governance_cluster_owned_pods_ratio', { member: 'mgr-a' })).toBe(0.5);
    expect(valueOf(families, 'governance_cluster_reloads_total', { member: 'mgr-a' })).toBe(3);
    expect(valueOf(families, 'governance_cluster_applied_sequence', { member: 'mgr-a' })).toBe(42);
  });

  it('rejects bad options naming them', async () => {
    const { manager } = await started();
    expect(() => createStatusPage(manager, { refreshMs: 0 })).toThrow(/refreshMs must be/);
    expect(() => createStatusPage(manager, { maxPods: 1.5 })).toThrow(/maxPods must be/);
    expect(() => createStatusPage(manager, { title: '' })).toThrow(/title must be/);
  });
});
