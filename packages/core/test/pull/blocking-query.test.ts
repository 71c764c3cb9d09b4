import { describe, expect, it } from 'vitest';
import { send } from '../transport/support/http-client';
import { pod, pullTestBed, registerSettled } from './support';

describe('blocking GET /services/:name?index=&wait=', () => {
  const bed = pullTestBed();

  it('answers at once with the revision in x-governance-index; at once again when the index is behind', async () => {
    const { manager, base } = await bed.start();
    await registerSettled(manager, pod('eir', 'eir-1'));
    const plain = await send(base, 'GET', '/services/eir');
    const index = Number(plain.headers['x-governance-index']);
    expect(index).toBe(manager.revisionOf('eir'));
    const started = performance.now();
    const behind = await send(base, 'GET', `/services/eir?index=${index - 1}&wait=10s`);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(behind.json.count).toBe(1);
  });

  it('holds until the group changes and answers within 50 ms of the change', async () => {
    const { manager, base } = await bed.start();
    await registerSettled(manager, pod('eir', 'eir-1'));
    const index = manager.revisionOf('eir');
    const pending = send(base, 'GET', `/services/eir?index=${index}&wait=10s`).then((answer) => ({ answer, at: performance.now() }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(manager.stats().watchers.active).toBe(1);
    const changedAt = performance.now();
    await manager.unregister('eir', 'eir-1');
    const { answer, at } = await pending;
    expect(at - changedAt).toBeLessThan(50);
    expect(answer.json.count).toBe(0);
    expect(Number(answer.headers['x-governance-index'])).toBeGreaterThan(index);
    expect(manager.stats().watchers.active).toBe(0);
  });

  it('answers after wait (plus at most 1/16 jitter) when nothing changes; a change of another group does not wake it', async () => {
    const { manager, base } = await bed.start();
    const index = manager.revisionOf('quiet');
    const started = performance.now();
    const pending = send(base, 'GET', `/services/quiet?index=${index}&wait=400ms`);
    await registerSettled(manager, pod('noisy', 'n-1'));
    const answer = await pending;
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(400 + 25 + 300);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-governance-index']).toBe(String(index));
  });

  it('stops waiting when the client goes away', async () => {
    const { manager, base } = await bed.start();
    const http = await import('node:http');
    const req = http.get(`${base}/services/x?index=${manager.revisionOf('x')}&wait=60s`, { agent: false });
    req.on('error', () => undefined);
    const deadline = Date.now() + 2_000;
    while (manager.stats().watchers.active !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    while (manager.stats().watchers.active !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(manager.stats().watchers.active).toBe(0);
  });

  it('answers 400 naming index or wait', async () => {
    const { base } = await bed.start();
    const badIndex = await send(base, 'GET', '/services/eir?index=-3');
    expect(badIndex.status).toBe(400);
    expect(badIndex.json.errors.map((e: { path: string }) => e.path)).toEqual(['index']);
    const badWait = await send(base, 'GET', '/services/eir?index=1&wait=soon');
    expect(badWait.json.errors.map((e: { path: string }) => e.path)).toEqual(['wait']);
    const waitAlone = await send(base, 'GET', '/services/eir?wait=5s');
    expect(waitAlone.json.errors.map((e: { path: string }) => e.path)).toEqual(['wait']);
  });
});
