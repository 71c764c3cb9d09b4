import { describe, expect, it } from 'vitest';
import { ManagerStoppedError, QueueFullError, type ServiceInfo } from '@governance/core';
import { Lane } from '../../src/manager/lane';
import { RegistryView } from '../../src/manager/registry-view';

function pod(name: string, group: string, subscriptions: string[], status: ServiceInfo['status'] = 'unknown'): ServiceInfo {
  const at = new Date(0);
  return {
    serviceName: group,
    podName: name,
    providers: [{ protocol: 'http', ip: '10.0.0.1', port: 80 }],
    healthCheckUrl: 'http://127.0.0.1:1/h',
    notificationUrl: 'http://127.0.0.1:1/n',
    subscriptions,
    status,
    lastHealthCheck: at,
    registeredAt: at,
    updatedAt: at,
  };
}

describe('RegistryView', () => {
  it('keeps the group, subscriber and status indexes in step with the records', () => {
    const view = new RegistryView();
    view.set(pod('a', 'g1', ['x', 'y']));
    view.set(pod('b', 'g1', ['x']));
    expect([...view.subscribersOf('x')!].sort()).toEqual(['g1:a', 'g1:b']);
    view.set({ ...view.get('g1:a')!, status: 'healthy' });
    expect(view.counts()).toEqual({ healthy: 1, unhealthy: 0, unknown: 1, total: 2 });
    view.set(pod('a', 'g1', ['y', 'z'], 'healthy'));
    expect([...view.subscribersOf('x')!]).toEqual(['g1:b']);
    expect([...view.subscribersOf('z')!]).toEqual(['g1:a']);
    view.delete('g1:b');
    expect(view.subscribersOf('x')).toBeUndefined();
    expect([...view.subscribedGroups()].sort()).toEqual(['y', 'z']);
    expect(view.podsOf('g1').map((p) => p.podName)).toEqual(['a']);
    expect(view.counts()).toEqual({ healthy: 1, unhealthy: 0, unknown: 0, total: 1 });
    const snapshot = view.snapshotByGroup();
    snapshot.get('g1')![0]!.subscriptions.push('hijack');
    expect(view.get('g1:a')!.subscriptions).toEqual(['y', 'z']);
  });
});

describe('Lane', () => {
  it('coalesces keyed items per key and still serves ordered items promptly', async () => {
    const batches: string[][] = [];
    const lane = new Lane<string>({
      capacity: 10,
      maxBatchSize: 8,
      process: async (batch) => {
        batches.push(batch);
      },
      onError: (e) => {
        throw e;
      },
    });
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 20; k++) lane.pushKeyed(`pod-${k}`, `health-${k}-${round}`);
    }
    lane.push('register-1');
    expect(lane.depth).toBe(21);
    await lane.drain();
    const all = batches.flat();
    expect(all).toHaveLength(21);
    expect(all.filter((i) => i.startsWith('health'))).toEqual(Array.from({ length: 20 }, (_, k) => `health-${k}-49`));
    // The registration went in the first batch, ahead of the health results.
    expect(batches[0]![0]).toBe('register-1');
    expect(batches.every((b) => b.length <= 8)).toBe(true);
  });

  it('is bounded for ordered items, drops a keyed item on request, and refuses work once closed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const lane = new Lane<string>({
      capacity: 2,
      maxBatchSize: 100,
      process: async (batch) => {
        seen.push(...batch);
        await gate;
      },
      onError: () => {},
    });
    lane.push('a');
    await new Promise((r) => setTimeout(r, 0));
    lane.push('b');
    lane.push('c');
    expect(() => lane.push('d')).toThrow(QueueFullError);
    lane.pushKeyed('k', 'health-k');
    lane.dropKeyed('k');
    lane.close();
    expect(() => lane.push('e')).toThrow(ManagerStoppedError);
    expect(lane.pushKeyed('k2', 'x')).toBe(false);
    release();
    await lane.drain();
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
