import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, type ManagerConfigInput } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, waitFor } from './helpers';

const TTL_POD = {
  service_name: 'job',
  pod_name: 'job-1',
  providers: [{ protocol: 'http', ip: '10.0.0.9', port: 8080 }],
  health_check_url: '',
  notification_url: 'http://10.0.0.9:8080/notify',
  ttl: '1s',
};

describe('TTL (heartbeat) checks over HTTP', () => {
  let manager: Manager | undefined;
  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await manager?.stop();
    manager = undefined;
  });

  async function start(config: ManagerConfigInput = {}, tokens?: Parameters<typeof createNodeListener>[1]): Promise<{ m: Manager; base: string }> {
    const m = new Manager({ ...FAST, ...config }, new MemoryStore());
    manager = m;
    await m.start();
    server = http.createServer(createNodeListener(m, tokens));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { m, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
  const put = (base: string, service: string, pod: string) =>
    fetch(`${base}/heartbeat?service_name=${service}&pod_name=${pod}`, { method: 'PUT' });
  const register = (base: string, body: object) =>
    fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('registers with ttl and no health URL, turns healthy at the first heartbeat, unhealthy after a missed ttl, and is deregistered after deregisterAfter', async () => {
    const { m, base } = await start({ failureThreshold: 2, deregisterAfter: 1_500 });
    const created = await register(base, TTL_POD);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ health_check_url: '', ttl: 1_000, status: 'unknown' });
    const beat = await put(base, 'job', 'job-1');
    expect(beat.status).toBe(204);
    expect(await beat.text()).toBe('');
    await waitFor(async () => (await m.getService('job:job-1'))?.status === 'healthy', 'healthy after the first heartbeat');
    // Heartbeats every 300 ms keep it healthy for well over two ttls.
    const statuses = new Set<string>();
    m.on('statusChanged', (service) => statuses.add(service.status));
    let stoppedAt = 0;
    for (let i = 0; i < 10; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await put(base, 'job', 'job-1')).status).toBe(204);
      stoppedAt = Date.now();
    }
    // Stop heartbeating: unhealthy after ttl × failureThreshold (about 2 s), then deregistered.
    const unhealthy = new Promise<number>((resolve) => m.on('statusChanged', (s) => s.status === 'unhealthy' && resolve(Date.now() - stoppedAt)));
    const gone = new Promise<number>((resolve) => m.on('deregistered', () => resolve(Date.now() - stoppedAt)));
    const unhealthyAfter = await unhealthy;
    expect(statuses).toEqual(new Set(['unhealthy']));
    expect(unhealthyAfter).toBeGreaterThanOrEqual(1_900);
    expect(unhealthyAfter).toBeLessThan(4_000);
    const goneAfter = await gone;
    expect(goneAfter).toBeGreaterThanOrEqual(unhealthyAfter + 1_000);
    expect(await m.getService('job:job-1')).toBeUndefined();
    expect((await put(base, 'job', 'job-1')).status).toBe(404);
  });

  it('recovers at the next heartbeat after a missed ttl', async () => {
    const { m, base } = await start();
    await register(base, TTL_POD);
    await put(base, 'job', 'job-1');
    await waitFor(async () => (await m.getService('job:job-1'))?.status === 'healthy', 'healthy');
    await waitFor(async () => (await m.getService('job:job-1'))?.status === 'unhealthy', 'unhealthy after a missed ttl', { timeoutMs: 5_000 });
    await put(base, 'job', 'job-1');
    await waitFor(async () => (await m.getService('job:job-1'))?.status === 'healthy', 'healthy again');
  });

  it('answers 404 for an unknown pod, 409 for a probed pod, 400 naming a missing field, 405 for GET', async () => {
    const { base } = await start();
    await register(base, { ...TTL_POD, pod_name: 'probed', health_check_url: 'http://127.0.0.1:1/health', ttl: undefined });
    expect((await put(base, 'job', 'nope')).status).toBe(404);
    const probed = await put(base, 'job', 'probed');
    expect(probed.status).toBe(409);
    expect(((await probed.json()) as { error: string }).error).toMatch(/without a ttl/);
    const missing = await fetch(`${base}/heartbeat?service_name=job`, { method: 'PUT' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toMatch(/pod_name/);
    expect((await fetch(`${base}/heartbeat?service_name=job&pod_name=job-1`)).status).toBe(405);
  });

  it('needs a token whose write scope covers the service, like register', async () => {
    const tokens = [
      { token: 'job-writer-token-0001', services: ['job'], name: 'job' },
      { token: 'other-writer-token-01', services: ['other'], read: true, name: 'other' },
    ];
    const { base } = await start({}, { tokens });
    const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    expect((await fetch(`${base}/register`, { method: 'POST', headers: auth(tokens[0]!.token), body: JSON.stringify(TTL_POD) })).status).toBe(201);
    const url = `${base}/heartbeat?service_name=job&pod_name=job-1`;
    expect((await fetch(url, { method: 'PUT' })).status).toBe(401);
    expect((await fetch(url, { method: 'PUT', headers: auth(tokens[1]!.token) })).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', headers: auth(tokens[0]!.token) })).status).toBe(204);
  });

  it('refuses an empty health URL without ttl, and a bad ttl, naming the field', async () => {
    const { base } = await start();
    const noTtl = await register(base, { ...TTL_POD, ttl: undefined });
    expect(noTtl.status).toBe(400);
    expect(JSON.stringify(await noTtl.json())).toMatch(/health_check_url.*ttl/);
    for (const ttl of ['10ms', 'soon', 0, -5, 1.5, '48h']) {
      const bad = await register(base, { ...TTL_POD, ttl });
      expect(bad.status, `ttl ${JSON.stringify(ttl)}`).toBe(400);
      expect(JSON.stringify(await bad.json())).toMatch(/"ttl"/);
    }
    const ms = await register(base, { ...TTL_POD, ttl: 15_000 });
    expect(await ms.json()).toMatchObject({ ttl: 15_000 });
  });

  it('keeps Go-profile bodies unchanged (no ttl field)', async () => {
    const { m, base } = await start({ wireProfile: 'go' });
    await register(base, TTL_POD);
    const list = (await (await fetch(`${base}/services`)).json()) as { services: Array<Record<string, unknown>> };
    expect(Object.keys(list.services[0]!)).not.toContain('ttl');
    expect(Object.keys(list.services[0]!)).not.toContain('TTL');
    expect((await m.getService('job:job-1'))?.ttl).toBe(1_000);
  });
});
