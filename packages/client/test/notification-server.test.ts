import { afterEach, describe, expect, it } from 'vitest';
import { NotificationServer, signNotification, type NotificationPayload } from '@governance/client';

const payload = {
  service_name: 'diam-gw',
  event_type: 'reconcile',
  timestamp: '2026-11-23T05:00:00Z',
  pods: [{ pod_name: 'diam-1', status: 'healthy', providers: [{ protocol: 'tcp', ip: '10.0.0.2', port: 3868 }] }],
};

let server: NotificationServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('NotificationServer', () => {
  it('serves GET /health and POST /notify on the port it bound', async () => {
    const received: NotificationPayload[] = [];
    server = new NotificationServer({ port: 0, host: '127.0.0.1', onNotification: (p) => void received.push(p) });
    const port = await server.start();
    expect(port).toBeGreaterThan(0);
    expect(server.port).toBe(port);
    const base = `http://127.0.0.1:${port}`;

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'healthy' });

    const notify = await fetch(`${base}/notify`, { method: 'POST', body: JSON.stringify(payload) });
    expect(notify.status).toBe(200);
    expect(received).toEqual([payload]);

    expect((await fetch(`${base}/notify`, { method: 'POST', body: '{' })).status).toBe(400);
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(405);
    const unknown = await fetch(`${base}/other`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/^\[client\] no route GET \/other/);
  });

  it('checks signatures when given a secret', async () => {
    const subscriber = { serviceName: 'eir', podName: 'eir-1' };
    server = new NotificationServer({ port: 0, host: '127.0.0.1', secret: 's', subscriber, onNotification: () => undefined });
    const url = `http://127.0.0.1:${await server.start()}/notify`;
    const body = JSON.stringify(payload);
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body, headers: { ...signNotification('s', body, { revision: 1, subscriber }) } })).status).toBe(200);
  });

  it('stops, can start again, and refuses bad options', async () => {
    server = new NotificationServer({ port: 0, host: '127.0.0.1', onNotification: () => undefined });
    const port = await server.start();
    await expect(server.start()).rejects.toThrow(/already started/);
    await server.stop();
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    const again = await server.start();
    expect((await fetch(`http://127.0.0.1:${again}/health`)).status).toBe(200);
    expect(() => new NotificationServer({ port: 70000, onNotification: () => undefined })).toThrow(/port/);
  });

  it('reports what the health option says: 503 when unhealthy or when the check throws', async () => {
    let state: boolean | 'throw' = true;
    server = new NotificationServer({
      port: 0,
      host: '127.0.0.1',
      onNotification: () => undefined,
      health: () => {
        if (state === 'throw') throw new Error('probe broke');
        return state;
      },
    });
    const base = `http://127.0.0.1:${await server.start()}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    state = false;
    const down = await fetch(`${base}/health`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unhealthy' });
    state = 'throw';
    expect((await fetch(`${base}/health`)).status).toBe(503);
  });
});
