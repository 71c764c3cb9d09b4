import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM JavaScript without type declarations
import { startTelcoManager } from '../../telco-manager/src/app.mjs';
// @ts-expect-error plain ESM JavaScript without type declarations
import { startPod } from '../src/pod.mjs';

interface Pod {
  port: number;
  setHealthy(healthy: boolean): void;
  unregister(): Promise<void>;
  stop(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function manager(): Promise<string> {
  const running = await startTelcoManager({
    env: { HEALTH_CHECK_INTERVAL: '1h', NOTIFICATION_INTERVAL: '1h' },
    port: 0,
    host: '127.0.0.1',
  });
  cleanups.push(() => running.close());
  return `http://127.0.0.1:${running.port}`;
}

async function pod(options: Record<string, unknown>): Promise<Pod> {
  const started = (await startPod(options)) as Pod;
  cleanups.push(() => started.stop());
  return started;
}

async function services(managerUrl: string): Promise<Array<Record<string, any>>> {
  return ((await (await fetch(`${managerUrl}/services`)).json()) as { services: Array<Record<string, any>> }).services;
}

describe('startPod', () => {
  it('registers eir with an http and a tcp provider that both answer', async () => {
    const managerUrl = await manager();
    const eir = await pod({ name: 'eir', managerUrl });
    const [listed] = await services(managerUrl);
    expect(listed).toMatchObject({
      ServiceName: 'eir',
      PodName: 'eir-pod-1',
      HealthCheckURL: `http://127.0.0.1:${eir.port}/health`,
      NotificationURL: `http://127.0.0.1:${eir.port}/notify`,
      Subscriptions: [],
    });
    expect(listed!.Providers.map((p: { protocol: string }) => p.protocol)).toEqual(['http', 'tcp']);
    const tcp = listed!.Providers[1] as { port: number };
    await new Promise<void>((resolve, reject) => {
      const socket = connect(tcp.port, '127.0.0.1', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
  });

  it('serves /health as 200 healthy, and 503 unhealthy after setHealthy(false)', async () => {
    const managerUrl = await manager();
    const eir = await pod({ name: 'eir', managerUrl });
    const health = () => fetch(`http://127.0.0.1:${eir.port}/health`);

    let response = await health();
    expect([response.status, await response.json()]).toEqual([200, { status: 'healthy' }]);
    eir.setHealthy(false);
    response = await health();
    expect([response.status, await response.json()]).toEqual([503, { status: 'unhealthy' }]);
    eir.setHealthy(true);
    expect((await health()).status).toBe(200);
  });

  it('passes notifications to onNotification and subscribes as the Go example does', async () => {
    const managerUrl = await manager();
    const seen: Array<{ service_name: string; event_type: string }> = [];
    const diam = await pod({ name: 'diam-gw', managerUrl, onNotification: (n: { service_name: string; event_type: string }) => seen.push(n) });
    const [listed] = await services(managerUrl);
    expect(listed).toMatchObject({ ServiceName: 'diam-gw', Subscriptions: ['eir'] });

    const response = await fetch(`http://127.0.0.1:${diam.port}/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service_name: 'eir', event_type: 'register', timestamp: new Date().toISOString(), pods: [] }),
    });
    expect(response.status).toBe(200);
    expect(seen.some((n) => n.service_name === 'eir' && n.event_type === 'register')).toBe(true);
  });

  it('unregisters once, then is gone from the manager', async () => {
    const managerUrl = await manager();
    const http = await pod({ name: 'http-gw', managerUrl });
    await http.unregister();
    await http.unregister();
    expect(await services(managerUrl)).toEqual([]);
  });

  it('rejects an unknown pod name', async () => {
    await expect(startPod({ name: 'smf', managerUrl: 'http://127.0.0.1:1' })).rejects.toThrow(
      'telco-pods: unknown pod "smf"; use one of http-gw, diam-gw, eir',
    );
  });
});
