import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, type ManagerConfigInput, type RegistryStore } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait';

const CLUSTER: ManagerConfigInput = {
  healthCheckInterval: 1_000,
  notificationInterval: 3_600_000,
  clusterLease: 2_000,
  clusterPollInterval: 100,
  stopTimeout: 2_000,
  deregisterAfter: 3_000,
};

const TTL_MS = 2_000;

async function serve(manager: Manager): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer(createNodeListener(manager));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * TTL checks in cluster mode: two managers on one database; the pod's heartbeats reach only the
 * replica that does NOT own it, and still count (relayed through the store's check time).
 */
export function ttlClusterScenarios(openStore: () => RegistryStore): void {
  it('a heartbeat on the replica that does not own the pod counts; without heartbeats the owner fails and deregisters it', async () => {
    const managers = [new Manager(CLUSTER, openStore()), new Manager(CLUSTER, openStore())];
    const servers: Array<{ base: string; close(): Promise<void> }> = [];
    try {
      await Promise.all(managers.map((m) => m.start()));
      await waitFor(() => managers.every((m) => m.stats().cluster?.members.length === 2), 'both managers to see two members', 10_000);
      for (const m of managers) servers.push(await serve(m));
      const registered = await fetch(`${servers[0]!.base}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          service_name: 'job',
          pod_name: 'job-1',
          providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
          health_check_url: '',
          notification_url: 'http://10.0.0.1:8080/notify',
          ttl: `${TTL_MS / 1_000}s`,
        }),
      });
      expect(registered.status).toBe(201);
      await waitFor(() => managers.every((m) => m.stats().pods.total === 1), 'both views to hold the pod', 10_000);
      await waitFor(() => managers.some((m) => m.stats().cluster?.ownedPods === 1), 'an owner', 10_000);
      const ownerIndex = managers.findIndex((m) => m.stats().cluster?.ownedPods === 1);
      const owner = managers[ownerIndex]!;
      const other = servers[1 - ownerIndex]!;
      const beat = () => fetch(`${other.base}/heartbeat?service_name=job&pod_name=job-1`, { method: 'PUT' });

      // Heartbeats every 500 ms, to the other replica only.
      let beating = true;
      const beats = (async () => {
        while (beating) {
          expect((await beat()).status).toBe(204);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      const seen: string[] = [];
      owner.on('statusChanged', (service) => seen.push(service.status));
      await waitFor(async () => (await owner.getService('job:job-1'))?.status === 'healthy', 'the owner to see the pod healthy', 10_000);
      // Four ttls of heartbeats on the other replica: the owner never fails the pod.
      await new Promise((resolve) => setTimeout(resolve, 4 * TTL_MS));
      expect(seen).toEqual(['healthy']);
      expect((await owner.getService('job:job-1'))?.status).toBe('healthy');
      for (const m of managers) expect((await m.getService('job:job-1'))?.status).toBe('healthy');

      // Heartbeats stop: unhealthy after about a ttl, deregistered after deregisterAfter.
      beating = false;
      await beats;
      const stoppedAt = Date.now();
      await waitFor(async () => (await owner.getService('job:job-1'))?.status === 'unhealthy', 'the pod to turn unhealthy', 10_000);
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(TTL_MS - 600);
      await waitFor(() => managers.every((m) => m.stats().pods.total === 0), 'the pod to be deregistered everywhere', 15_000);
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(TTL_MS + 3_000 - 600);
    } finally {
      for (const s of servers) await s.close();
      await Promise.all(managers.map((m) => m.stop()));
    }
  }, 60_000);
}
