import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM JavaScript without type declarations
import { startTelcoManager } from '../src/app.mjs';
import { GO_TELCO_BODIES } from '../../../test/fixtures/go-telco.mjs';

interface Running {
  port: number;
  close(): Promise<void>;
  manager: { isRunning: boolean; config: Record<string, unknown> };
}

let running: Running | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

// The seed's 192.168.1.x addresses are probed once right after registering (and fail fast with
// the short timeouts); the long intervals keep further checks and reconciles out of the test.
const ENV = { HEALTH_CHECK_INTERVAL: '1h', NOTIFICATION_INTERVAL: '1h', HEALTH_CHECK_TIMEOUT: '200ms', NOTIFICATION_TIMEOUT: '200ms' };

describe('startTelcoManager', () => {
  it('applies the environment to the manager', async () => {
    running = (await startTelcoManager({ env: { ...ENV, HEALTH_CHECK_RETRY: '1', EVENT_QUEUE_SIZE: '77' }, port: 0, host: '127.0.0.1' })) as Running;
    expect(running.manager.isRunning).toBe(true);
    expect(running.manager.config).toMatchObject({
      healthCheckInterval: 3_600_000,
      healthCheckTimeout: 200,
      healthCheckRetry: 1,
      notificationInterval: 3_600_000,
      notificationTimeout: 200,
      eventQueueSize: 77,
    });
  });

  it("answers the Go example's curl calls at the root, unchanged, and lists pods as the Go manager does", async () => {
    running = (await startTelcoManager({ env: ENV, port: 0, host: '127.0.0.1' })) as Running;
    expect(running.manager.config).toMatchObject({ wireProfile: 'go' });
    const base = `http://127.0.0.1:${running.port}`;

    for (const body of Object.values(GO_TELCO_BODIES)) {
      const response = await fetch(`${base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
    }

    const list = (await (await fetch(`${base}/services`)).json()) as { count: number; services: Array<Record<string, unknown>> };
    expect(list.count).toBe(3);
    const eir = list.services.find((s) => s.ServiceName === 'eir');
    expect(eir).toMatchObject({
      PodName: 'eir-pod-1',
      Providers: [
        { protocol: 'http', ip: '192.168.1.30', port: 8080 },
        { protocol: 'tcp', ip: '192.168.1.30', port: 3868 },
      ],
      HealthCheckURL: 'http://192.168.1.30:8080/health',
      Subscriptions: [],
    });
    expect(Object.keys(eir!)).not.toContain('UpdatedAt');

    const removed = await fetch(`${base}/unregister?service_name=http-gw&pod_name=http-gw-pod-1`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    const again = await fetch(`${base}/unregister?service_name=http-gw&pod_name=http-gw-pod-1`, { method: 'DELETE' });
    expect(again.status).toBe(404);

    const after = (await (await fetch(`${base}/services`)).json()) as { count: number; services: Array<{ ServiceName: string }> };
    expect(after.services.map((s) => s.ServiceName).sort()).toEqual(['diam-gw', 'eir']);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'healthy' });
  });

  it('exposes Prometheus metrics at /metrics and the status page at /ui', async () => {
    running = (await startTelcoManager({ env: ENV, port: 0, host: '127.0.0.1' })) as Running;
    const base = `http://127.0.0.1:${running.port}`;
    const registered = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: GO_TELCO_BODIES.eir,
    });
    expect(registered.status).toBe(201);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toContain('governance_registrations_total{result="created"} 1');
    expect(text).toMatch(/governance_pods\{service="eir",status="(unknown|unhealthy|healthy)"\} 1/);
    const page = await fetch(`${base}/ui`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Telco governance manager</title>');
    expect(html).toContain('data-service="eir"');
  });

  it('speaks the snake_case API with WIRE_PROFILE=native', async () => {
    running = (await startTelcoManager({ env: { ...ENV, WIRE_PROFILE: 'native' }, port: 0, host: '127.0.0.1' })) as Running;
    const base = `http://127.0.0.1:${running.port}`;
    const response = await fetch(`${base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: GO_TELCO_BODIES.eir });
    expect(response.status).toBe(201);
    const list = (await (await fetch(`${base}/services`)).json()) as { services: Array<Record<string, unknown>> };
    expect(list.services[0]).toMatchObject({ service_name: 'eir', pod_name: 'eir-pod-1', health_check_url: 'http://192.168.1.30:8080/health' });
  });

  it('rejects a bad environment before opening any store or port', async () => {
    await expect(startTelcoManager({ env: { STORE_TYPE: 'sqlite' }, port: 0 })).rejects.toThrow(
      'telco-manager: STORE_TYPE="sqlite" is not one of memory, postgres, mysql, mongodb',
    );
  });

  it('stops the manager and frees the port on close()', async () => {
    const started = (await startTelcoManager({ env: ENV, port: 0, host: '127.0.0.1' })) as Running;
    await started.close();
    expect(started.manager.isRunning).toBe(false);
    await expect(fetch(`http://127.0.0.1:${started.port}/health`)).rejects.toThrow();
  });
});
