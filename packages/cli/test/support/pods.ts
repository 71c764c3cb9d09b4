import type { RegistryStore, ServiceInfo, ServiceStatus } from '@governance/core';

const STATUSES: ServiceStatus[] = ['healthy', 'unhealthy', 'unknown'];
const BASE = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

/**
 * `count` distinct, valid pods with varied content: 1–2 providers (http/tcp/udp), http or tcp
 * health checks, 0–3 subscriptions (some repeated in a different order), all three statuses,
 * and distinct millisecond times.
 */
export function makePods(count: number, prefix = 'svc'): ServiceInfo[] {
  const pods: ServiceInfo[] = [];
  for (let i = 0; i < count; i++) {
    const service = `${prefix}-${i % 97}`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const subscriptions = Array.from({ length: i % 4 }, (_, j) => `${prefix}-${(i + j * 7) % 97}`);
    pods.push({
      serviceName: service,
      podName: `pod-${i}`,
      providers:
        i % 3 === 0
          ? [
              { protocol: 'http', ip, port: 8080 },
              { protocol: 'tcp', ip, port: 3868 },
            ]
          : [{ protocol: i % 3 === 1 ? 'udp' : 'http', ip, port: 2000 + (i % 1000) }],
      healthCheckUrl: i % 5 === 0 ? `tcp://${ip}:3868` : `http://${ip}:8080/health`,
      notificationUrl: `http://${ip}:8080/notify`,
      subscriptions,
      status: STATUSES[i % 3]!,
      lastHealthCheck: new Date(BASE + i * 3),
      registeredAt: new Date(BASE - 86_400_000 + i),
      updatedAt: new Date(BASE + i * 2),
    });
  }
  return pods;
}

/** Writes pods through the store's group commit, 1,000 at a time. */
export async function seed(store: RegistryStore, pods: readonly ServiceInfo[]): Promise<void> {
  for (let at = 0; at < pods.length; at += 1000) {
    await store.applyBatch!(pods.slice(at, at + 1000).map((service) => ({ type: 'save' as const, service })));
  }
}

/** (subscriber, group) pairs the pods list. */
export function subscriptionPairs(pods: readonly ServiceInfo[]): number {
  return pods.reduce((n, p) => n + new Set(p.subscriptions).size, 0);
}

/** Writes pods into a scratch database through its store, then closes the store. */
export async function seedDatabase(db: { openStore(host: string, port: number): RegistryStore; host: string; port: number }, pods: readonly ServiceInfo[]): Promise<void> {
  const store = db.openStore(db.host, db.port);
  try {
    await seed(store, pods);
  } finally {
    await store.close();
  }
}
